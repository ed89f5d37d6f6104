// Hostile input through the HTTP API of a real Strapi (RELIABILITY.md, "Hostile and broken input"):
// fuzzed template, workflow and job fields; every route the plugin registers against anonymous,
// unpermitted and permitted callers; forged, replayed and expired worker signatures.
import { mkdtemp, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyOverrides,
  checkBudget,
  DEFAULT_PLAN_BUDGET,
  MAX_FAILURE_MESSAGE,
  parseTemplate,
  SIGNATURE_HEADER,
  signingString,
  submitCost,
  type Template,
} from '@dynamic-image/core';
import { generateSample, resolveFfmpegBinaries } from '@dynamic-image/worker';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { bootstrapAccess, cmsDir, type RunningCms, startCms } from '../support/cms.js';
import { nowSeconds, signature } from '../support/signature.js';

type Json = Record<string, any>;

let database: TestDatabase;
let cms: RunningCms;
let adminToken: string;
let apiToken: string;
let videoId: number;
/** A real MP4: fuzzed uploads carry it or junk, under any declared type. */
let clipBytes: Buffer;

/** Figures for RELIABILITY.md, printed when FUZZ_REPORT is set. */
const figures: Record<string, unknown> = {};

async function call(
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; token?: string | null } = {},
) {
  const token = options.token === undefined ? apiToken : options.token;
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${cms.url}${path}`, { method, headers, body });
  const text = await response.text();
  let json: Json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { text };
  }
  return { status: response.status, json };
}

const CODE =
  /^(InvalidParameter\.[A-Za-z0-9.]+|Invalid(Template|Workflow|Video|Job|DynamicImage)\.NotFound|Forbidden\.IllegalStatus|BUDGET_EXCEEDED)$/;

/**
 * Core's verdict on a job: the stored template with the overrides, then the cost a template alone tells
 * (a byDuration window at a declared size) against the default budget; 'ok' or the refusal's code.
 */
function jobVerdict(base: Template, overrides: unknown): 'ok' | 'invalid' | 'BUDGET_EXCEEDED' {
  let template: Template;
  try {
    template = applyOverrides(base, overrides);
  } catch {
    return 'invalid';
  }
  const cost = submitCost(template);
  try {
    if (cost) checkBudget(cost, DEFAULT_PLAN_BUDGET);
  } catch {
    return 'BUDGET_EXCEEDED';
  }
  return 'ok';
}

/** A refusal is a 400 or 404 with one of the plugin's codes, never a 500 or a bare Strapi error. */
function expectCodedRefusal(res: { status: number; json: Json }, context: unknown) {
  const where = JSON.stringify({ context, res }).slice(0, 1500);
  expect([400, 404], where).toContain(res.status);
  expect(res.json.error?.code, where).toMatch(CODE);
}

beforeAll(async () => {
  // Loading the built plugin's server entry is a synchronous require that takes seconds on a busy machine.
  // Done later, it blocks this process's event loop while the CMS closes idle keep-alive sockets (after
  // 5 s), and fetch then reuses a closed one ("other side closed"): so it is loaded before any socket exists.
  pluginRoutes();
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-hostile-'));
  const clip = await generateSample(resolveFfmpegBinaries(), 'landscape', dir, 2);
  database = await startTestDatabase();
  // No worker: jobs stay queued, so fuzzing costs no encoding.
  // The fuzzing queues a few hundred jobs with one token and nothing takes them: the per-caller limit
  // (limits.test.ts) is lifted here.
  cms = await startCms(database.url, {
    DYNAMIC_IMAGE_WORKER_MODE: 'off',
    DYNAMIC_IMAGE_MAX_ACTIVE_JOBS_PER_CALLER: '100000',
  });
  ({ adminToken, apiToken } = await bootstrapAccess(cms.url));
  const form = new FormData();
  clipBytes = await readFile(clip);
  form.append('files', new Blob([clipBytes], { type: 'video/mp4' }), 'clip.mp4');
  const upload = await fetch(`${cms.url}/api/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}` },
    body: form,
  });
  expect(upload.status).toBe(201);
  videoId = ((await upload.json()) as Json[])[0]?.id;
});

afterAll(async () => {
  if (process.env.FUZZ_REPORT) console.log(JSON.stringify(figures, null, 2));
  await cms?.stop();
  await database?.stop();
});

// ---------------------------------------------------------------------------------------------
// Fuzzing

const hostileValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: true }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, 1e308, -1e-308, 0.0001, 4096.5, 60.0000001),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '1e309',
    '-0',
    '00:00:99',
    '24:00:00',
    '23:59:59.9999',
    '1:2:3',
    'NaN',
    'Infinity',
    '__proto__',
    "x'); drop table dynamic_image_templates;--",
    '<script>alert(1)</script>',
    '\u0000',
    '🎞️🎞️🎞️🎞️',
    'a'.repeat(10_000),
    'GIF',
    'webp ',
  ),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'a', '$ne'), fc.integer(), { maxKeys: 2 }),
);

const time = fc.oneof(
  fc.integer({ min: 0, max: 86_399_999 }).map((ms) => ms / 1000),
  fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m, s]) => [h, m, s].map((n) => String(n).padStart(2, '0')).join(':')),
);

const validField = {
  name: fc.stringMatching(/^[A-Za-z0-9_-]{4,64}$/),
  format: fc.constantFrom('gif', 'webp'),
  fps: fc.integer({ min: 1, max: 60 }),
  width: fc.integer({ min: 128, max: 4096 }),
  height: fc.integer({ min: 128, max: 4096 }),
  captureMethod: fc.constantFrom('byDuration', 'trimBeginEnd'),
  start: time,
  duration: time,
  trimEnd: time,
  setAsDefaultThumbnail: fc.boolean(),
};

const FIELDS = Object.keys(validField) as Array<keyof typeof validField>;

/** A template that follows every rule: the capture method's own field, and optional sizes. */
const validTemplate = fc
  .record({
    name: validField.name,
    format: validField.format,
    fps: validField.fps,
    width: fc.option(validField.width, { nil: undefined }),
    height: fc.option(validField.height, { nil: undefined }),
    captureMethod: validField.captureMethod,
    start: validField.start,
    length: validField.duration,
    setAsDefaultThumbnail: fc.option(validField.setAsDefaultThumbnail, { nil: undefined }),
  })
  .map(({ length, ...t }) => ({ ...t, [t.captureMethod === 'byDuration' ? 'duration' : 'trimEnd']: length }));

/**
 * A valid template with up to three fields broken: a hostile value, a valid value that may clash (the
 * other capture method's field), a field dropped, or an unknown field added.
 */
const templateBody = fc
  .tuple(
    validTemplate,
    fc.array(
      fc.tuple(
        fc.constantFrom<string>(...FIELDS, '__proto__', 'templateId', 'id', 'version', 'extra', 'createdAt'),
        fc.oneof(
          hostileValue,
          fc.constant(undefined),
          fc.constantFrom(...FIELDS).chain((f) => validField[f] as fc.Arbitrary<unknown>),
        ),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([template, mutations]) => {
    const out: Record<string, unknown> = { ...template };
    for (const [key, value] of mutations) {
      if (value === undefined) delete out[key];
      else Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
    }
    return out;
  });

/** What the wire carries: undefined drops out, NaN becomes null. */
const wire = (value: unknown) => JSON.parse(JSON.stringify(value) ?? 'null');

function coreVerdict(body: unknown): Template | null {
  try {
    return parseTemplate(body);
  } catch {
    return null;
  }
}

/** A stored record, read back, must pass core's rules. */
function expectValidTemplate(record: Json) {
  const { templateId: _id, createdAt: _c, updatedAt: _u, ...template } = record;
  expect(() => parseTemplate(template), JSON.stringify(record)).not.toThrow();
}

describe('fuzzed template, workflow and job fields through the API', () => {
  const templateIds: string[] = [];
  const counts: Record<string, Record<string, number>> = {};
  const count = (what: string, res: { status: number; json: Json }) => {
    const key =
      res.status < 300 ? String(res.status) : `${res.status} ${res.json.error?.code ?? res.json.error?.name}`;
    counts[what] ??= {};
    (counts[what] as Record<string, number>)[key] = ((counts[what] as Record<string, number>)[key] ?? 0) + 1;
  };

  afterAll(() => {
    figures.fuzz = counts;
  });

  it('POST /templates: core accepts ⇔ 201; otherwise 400 with a code; never a 500', async () => {
    const names = new Set<string>();
    await fc.assert(
      fc.asyncProperty(templateBody, async (body) => {
        const sent = wire(body);
        const res = await call('POST', '/api/dynamic-image/templates', { body: sent });
        count('POST /templates', res);
        const verdict = coreVerdict(sent);
        if (verdict && !names.has(verdict.name)) {
          expect(res.status, JSON.stringify({ sent, res })).toBe(201);
          expectValidTemplate(res.json.data);
          names.add(verdict.name);
          templateIds.push(res.json.data.templateId);
        } else {
          expectCodedRefusal(res, sent);
        }
      }),
      { numRuns: 150, seed: 7, endOnFailure: true },
    );
  });

  it('refuses bodies that are not template objects, and broken JSON, with a coded 400', async () => {
    for (const raw of [
      '[]',
      '"gif"',
      '42',
      'null',
      '{"name":',
      '{"name": "x"}}',
      '\u0000',
      '{"__proto__": {"fps": 1}}',
    ]) {
      const res = await call('POST', '/api/dynamic-image/templates', { raw });
      count('POST /templates (raw)', res);
      expectCodedRefusal(res, raw);
    }
  });

  it('PUT /templates/:id: 200 or a coded 400; a refused update changes nothing', async () => {
    expect(templateIds.length).toBeGreaterThan(5);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...templateIds), templateBody, async (templateId, body) => {
        const before = (await call('GET', `/api/dynamic-image/templates/${templateId}`)).json.data;
        const sent = wire(body);
        const res = await call('PUT', `/api/dynamic-image/templates/${templateId}`, { body: sent });
        count('PUT /templates/:id', res);
        const after = (await call('GET', `/api/dynamic-image/templates/${templateId}`)).json.data;
        expectValidTemplate(after);
        if (res.status === 200) {
          expect(after).toEqual(res.json.data);
        } else {
          expectCodedRefusal(res, sent);
          expect(after).toEqual(before);
        }
      }),
      { numRuns: 60, seed: 11, endOnFailure: true },
    );
  });

  it('POST /jobs: overrideParams, ids and force fuzzed; core decides; never a 500', async () => {
    const overrides = fc.oneof(
      { weight: 4, arbitrary: templateBody.map((b) => ({ ...b, name: undefined })) },
      { weight: 1, arbitrary: hostileValue },
    );
    const jobBody = fc.record(
      {
        videoId: fc.oneof(
          { weight: 4, arbitrary: fc.constant(videoId) },
          { weight: 1, arbitrary: hostileValue },
        ),
        templateId: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...templateIds) },
          { weight: 1, arbitrary: hostileValue },
        ),
        overrideParams: overrides,
        force: fc.oneof(fc.boolean(), hostileValue),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(jobBody, async (body) => {
        const sent = wire(body);
        const res = await call('POST', '/api/dynamic-image/jobs', { body: sent });
        count('POST /jobs', res);
        if (res.status === 201) {
          expect(sent.videoId).toBe(videoId);
          expect(templateIds).toContain(sent.templateId);
          const stored = (await call('GET', `/api/dynamic-image/templates/${sent.templateId}`)).json.data;
          const { templateId: _t, createdAt: _c, updatedAt: _u, ...base } = stored;
          // The job runs the template core makes of the stored one and the overrides, within the budget.
          expect(jobVerdict(base as Template, sent.overrideParams)).toBe('ok');
          expect(res.json.data.template).toEqual(applyOverrides(base as Template, sent.overrideParams));
          return;
        }
        expectCodedRefusal(res, sent);
        if (sent.videoId === videoId && templateIds.includes(sent.templateId)) {
          // Only the overrides can be wrong, and core agrees they are: broken, or over the budget.
          const stored = (await call('GET', `/api/dynamic-image/templates/${sent.templateId}`)).json.data;
          const { templateId: _t, createdAt: _c, updatedAt: _u, ...base } = stored;
          const verdict = jobVerdict(base as Template, sent.overrideParams);
          expect(verdict, JSON.stringify({ sent, res })).not.toBe('ok');
          expect(res.json.error.code === 'BUDGET_EXCEEDED', JSON.stringify({ sent, res })).toBe(
            verdict === 'BUDGET_EXCEEDED',
          );
        }
      }),
      { numRuns: 100, seed: 13, endOnFailure: true },
    );
  });

  it('GET /jobs filters: 200 or a coded 400; never a 500, never a query operator', async () => {
    const valid = {
      videoId: fc.constantFrom(String(videoId), '1', '999999'),
      state: fc.constantFrom('queued', 'processing', 'success', 'failed'),
      limit: fc.constantFrom('1', '10', '1000'),
    };
    const junk = fc.oneof(
      fc.constantFrom('0', '-1', '1e9', '1.5', 'abc', '', '1001', 'QUEUED', "queued' or 1=1--"),
      fc.string({ maxLength: 8 }),
    );
    const param = fc
      .constantFrom('videoId', 'state', 'limit')
      .chain((key) =>
        fc.oneof(
          { weight: 6, arbitrary: valid[key as keyof typeof valid].map((v) => [key, `=${v}`] as const) },
          { weight: 1, arbitrary: junk.map((v) => [key, `=${encodeURIComponent(v)}`] as const) },
          { weight: 1, arbitrary: junk.map((v) => [key, `[$ne]=${encodeURIComponent(v)}`] as const) },
          { weight: 1, arbitrary: junk.map((v) => [key, `[]=${encodeURIComponent(v)}`] as const) },
        ),
      );
    await fc.assert(
      fc.asyncProperty(fc.array(param, { minLength: 1, maxLength: 3 }), async (params) => {
        const query = params.map(([k, v]) => `${k}${v}`).join('&');
        const res = await call('GET', `/api/dynamic-image/jobs?${query}`);
        count('GET /jobs?filters', res);
        if (res.status === 200) {
          // Only plain values pass, and the filters hold.
          expect(query, JSON.stringify(res.json).slice(0, 300)).not.toMatch(/\[/);
          const wanted = new URLSearchParams(query);
          for (const job of res.json.data as Json[]) {
            for (const v of wanted.getAll('videoId')) expect(job.videoId).toBe(Number(v));
            for (const s of wanted.getAll('state')) expect(job.state).toBe(s);
          }
          const limit = wanted.getAll('limit').map(Number);
          if (limit.length === 1) expect(res.json.data.length).toBeLessThanOrEqual(limit[0] as number);
        } else expectCodedRefusal(res, query);
      }),
      { numRuns: 60, seed: 23, endOnFailure: true },
    );
  });

  it('GET /videos and /dynamic-images (admin): only plain, bounded parameters reach the query', async () => {
    const admin = (query: string) => call('GET', `/dynamic-image/videos?${query}`, { token: adminToken });
    const refused: Array<[string, string]> = [
      ['search[$ne]=x', 'InvalidParameter.Search'],
      ['search[$containsi]=clip', 'InvalidParameter.Search'],
      ['search=a&search=b', 'InvalidParameter.Search'],
      [`search=${'a'.repeat(201)}`, 'InvalidParameter.Search'],
      ['pageSize=101', 'InvalidParameter.PageSize'],
      ['pageSize=0', 'InvalidParameter.PageSize'],
      ['pageSize[$gt]=1', 'InvalidParameter.PageSize'],
      ['page=-1', 'InvalidParameter.Page'],
      ['page=1.5', 'InvalidParameter.Page'],
      ['sort=id:asc', 'InvalidParameter.Sort'],
      ['sort[name]=asc', 'InvalidParameter.Sort'],
      ['filters[mime][$eq]=image/png', 'InvalidParameter.Filters'],
    ];
    for (const [query, code] of refused) {
      const res = await admin(query);
      expect(res, query).toMatchObject({ status: 400, json: { error: { code } } });
    }
    const images = await call('GET', '/dynamic-image/dynamic-images?videoId[$ne]=0', { token: adminToken });
    expect(images).toMatchObject({ status: 400, json: { error: { code: 'InvalidParameter.VideoId' } } });

    // Plain values still list: the clip uploaded for these tests, found by name and in each order.
    const found = await admin(`search=${encodeURIComponent('clip')}&pageSize=100&page=1&sort=name:asc`);
    expect(found.status, JSON.stringify(found.json)).toBe(200);
    expect(found.json.data.videos.map((v: Json) => v.videoId)).toContain(videoId);
    expect((await admin('search=no-such-name')).json.data.videos).toEqual([]);
    for (const sort of ['createdAt:desc', 'createdAt:asc', 'name:asc', 'name:desc', 'size:asc', 'size:desc'])
      expect((await admin(`sort=${sort}`)).status, sort).toBe(200);
  });

  it('POST and PUT /workflows: 201/200 or a coded refusal; never a 500', async () => {
    const node = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...templateIds).map((templateId) => ({ templateId })) },
      { weight: 1, arbitrary: fc.record({ templateId: hostileValue }) },
      { weight: 1, arbitrary: hostileValue },
    );
    const workflowBody = fc.record(
      {
        name: fc.oneof(
          { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
          { weight: 1, arbitrary: hostileValue },
        ),
        nodes: fc.oneof(
          { weight: 4, arbitrary: fc.array(node, { minLength: 1, maxLength: 4 }) },
          { weight: 1, arbitrary: hostileValue },
        ),
        enabled: fc.oneof(fc.boolean(), hostileValue),
        // This CMS has no folder: a binding to any id is refused (it names a folder that doesn't exist).
        folders: fc.oneof(
          { weight: 4, arbitrary: fc.constant([]) },
          { weight: 1, arbitrary: fc.array(fc.integer({ min: -5, max: 1_000_000 }), { maxLength: 3 }) },
          { weight: 1, arbitrary: hostileValue },
        ),
      },
      { requiredKeys: [] },
    );
    const workflowIds: string[] = [];
    await fc.assert(
      fc.asyncProperty(workflowBody, async (body) => {
        const sent = wire(body);
        const res = await call('POST', '/api/dynamic-image/workflows', { body: sent });
        count('POST /workflows', res);
        if (res.status === 201) workflowIds.push(res.json.data.workflowId);
        else expectCodedRefusal(res, sent);
      }),
      { numRuns: 60, seed: 17, endOnFailure: true },
    );
    expect(workflowIds.length).toBeGreaterThan(3);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...workflowIds), workflowBody, async (workflowId, body) => {
        const before = (await call('GET', `/api/dynamic-image/workflows/${workflowId}`)).json.data;
        const sent = wire(body);
        const res = await call('PUT', `/api/dynamic-image/workflows/${workflowId}`, { body: sent });
        count('PUT /workflows/:id', res);
        const after = (await call('GET', `/api/dynamic-image/workflows/${workflowId}`)).json.data;
        if (res.status !== 200) {
          expectCodedRefusal(res, sent);
          expect(after).toEqual(before);
        }
      }),
      { numRuns: 30, seed: 19, endOnFailure: true },
    );
  });

  it('POST /upload (multipart): 201 or a coded refusal; a refused upload stores no file', async () => {
    const workflows = (await call('GET', '/api/dynamic-image/workflows')).json.data as Json[];
    expect(workflows.length).toBeGreaterThan(0);
    const fileArb = fc.record({
      type: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('video/mp4', 'video/webm') },
        { weight: 1, arbitrary: fc.constantFrom('image/png', 'text/plain', 'application/octet-stream', '') },
      ),
      name: fc.oneof(
        fc.constantFrom(
          'clip.mp4',
          '../../etc/passwd',
          `${'a'.repeat(300)}.mp4`,
          '.mp4',
          'x\u0000.mp4',
          '🎞️.webm',
        ),
        fc.string({ minLength: 1, maxLength: 12 }),
      ),
      size: fc.integer({ min: 0, max: 4096 }),
      video: fc.boolean(),
    });
    const uploadArb = fc.record({
      workflowId: fc.option(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...workflows.map((w) => w.workflowId as string)) },
          { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
        ),
        { nil: undefined },
      ),
      files: fc.array(fileArb, { maxLength: 2 }),
      field: fc.constantFrom('files', 'files', 'files', 'file', 'files[]'),
    });
    const fileCount = async () => ((await call('GET', '/api/upload/files')).json as unknown as Json[]).length;
    await fc.assert(
      fc.asyncProperty(uploadArb, async (upload) => {
        const before = await fileCount();
        const form = new FormData();
        if (upload.workflowId !== undefined) form.append('workflowId', upload.workflowId);
        for (const f of upload.files) {
          const bytes = f.video ? new Uint8Array(clipBytes) : new Uint8Array(f.size).fill(7);
          form.append(upload.field, new Blob([bytes], { type: f.type }), f.name);
        }
        const response = await fetch(`${cms.url}/api/dynamic-image/upload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiToken}` },
          body: form,
        });
        const res = { status: response.status, json: (await response.json()) as Json };
        count('POST /upload', res);
        const after = await fileCount();
        if (res.status === 201) {
          expect(after - before).toBe(upload.files.length);
          // The bytes decide, not the declared type: only real videos are ever stored.
          for (const f of upload.files) expect(f.video, JSON.stringify(f)).toBe(true);
        } else {
          expectCodedRefusal(res, {
            ...upload,
            files: upload.files.map((f) => ({ ...f, name: f.name.slice(0, 20) })),
          });
          expect(after, 'a refused upload must store nothing').toBe(before);
        }
      }),
      { numRuns: 40, seed: 37, endOnFailure: true },
    );
  });

  it('POST /upload with a workflow over the budget is a coded 400 and stores no file', async () => {
    // A valid template that no job may make under the default budget (4096² × 300 frames).
    const template = await call('POST', '/api/dynamic-image/templates', {
      body: {
        name: 'over-budget',
        format: 'webp',
        fps: 30,
        width: 4096,
        height: 4096,
        captureMethod: 'byDuration',
        duration: 10,
      },
    });
    expect(template.status, JSON.stringify(template.json)).toBe(201);
    const workflow = await call('POST', '/api/dynamic-image/workflows', {
      body: { name: 'over-budget', nodes: [{ templateId: template.json.data.templateId }] },
    });
    expect(workflow.status, JSON.stringify(workflow.json)).toBe(201);
    const files = async () => ((await call('GET', '/api/upload/files')).json as unknown as Json[]).length;
    const before = await files();
    const form = new FormData();
    form.append('workflowId', workflow.json.data.workflowId);
    form.append('files', new Blob([new Uint8Array(clipBytes)], { type: 'video/mp4' }), 'over-budget.mp4');
    const response = await fetch(`${cms.url}/api/dynamic-image/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}` },
      body: form,
    });
    expect({ status: response.status, code: ((await response.json()) as Json).error?.code }).toEqual({
      status: 400,
      code: 'BUDGET_EXCEEDED',
    });
    expect(await files()).toBe(before);
  });

  it('stores no bad record: every template, workflow and job read back follows the rules', async () => {
    const templates = (await call('GET', '/api/dynamic-image/templates')).json.data as Json[];
    for (const t of templates) expectValidTemplate(t);
    const known = new Set(templates.map((t) => t.templateId));
    const workflows = (await call('GET', '/api/dynamic-image/workflows')).json.data as Json[];
    for (const w of workflows) {
      expect(
        typeof w.name === 'string' && w.name.trim().length > 0 && w.name.length <= 128,
        JSON.stringify(w),
      ).toBe(true);
      expect(Array.isArray(w.nodes) && w.nodes.length >= 1 && w.nodes.length <= 20).toBe(true);
      for (const n of w.nodes) expect(known.has(n.templateId), JSON.stringify(w)).toBe(true);
      expect(typeof w.enabled).toBe('boolean');
      // This CMS has no Media Library folder: a stored binding would name a folder that doesn't exist.
      expect(w.folders, JSON.stringify(w)).toEqual([]);
    }
    const jobs = (await call('GET', '/api/dynamic-image/jobs?limit=1000')).json.data as Json[];
    for (const j of jobs) {
      expect(() => parseTemplate(j.template), JSON.stringify(j)).not.toThrow();
      expect(Number.isInteger(j.videoId) && j.videoId > 0, JSON.stringify(j)).toBe(true);
    }
    figures.stored = { templates: templates.length, workflows: workflows.length, jobs: jobs.length };
  });
});

// ---------------------------------------------------------------------------------------------
// Every route × every kind of caller

interface Route {
  method: string;
  path: string;
  handler: string;
  config?: { auth?: false; policies?: Array<{ config?: { actions?: string[] } }> };
}

/** The route table as Strapi loads it: from the plugin's built server entry, as the CMS installs it. */
function pluginRoutes(): { admin: Route[]; content: Route[] } {
  const require = createRequire(join(cmsDir, 'package.json'));
  const mod = require('@dynamic-image/strapi-plugin/strapi-server');
  const routes = (mod.default ?? mod).routes;
  return { admin: routes.admin.routes, content: routes['content-api'].routes };
}

/** The actions the admin route's hasPermissions policy requires, all of them. */
const routeActions = (r: Route): string[] => r.config?.policies?.[0]?.config?.actions ?? [];

const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, 'does-not-exist');

async function status(method: string, path: string, token: string | null): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${cms.url}${path}`, {
    method,
    headers,
    body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
  });
  await res.arrayBuffer();
  return res.status;
}

async function adminWithActions(name: string, actions: string[]): Promise<string> {
  const role = await call('POST', '/admin/roles', { token: adminToken, body: { name, description: name } });
  expect(role.status, JSON.stringify(role.json)).toBe(201);
  const roleId = role.json.data.id;
  const permissions = actions.map((action) => ({ action, subject: null, properties: {}, conditions: [] }));
  const set = await call('PUT', `/admin/roles/${roleId}/permissions`, {
    token: adminToken,
    body: { permissions },
  });
  expect(set.status, JSON.stringify(set.json)).toBe(200);
  const email = `${name.toLowerCase().replace(/[^a-z0-9]/g, '-')}@example.com`;
  const user = await call('POST', '/admin/users', {
    token: adminToken,
    body: { firstname: name, lastname: 'Test', email, roles: [roleId] },
  });
  expect(user.status, JSON.stringify(user.json)).toBe(201);
  const registered = await call('POST', '/admin/register', {
    token: null,
    body: {
      registrationToken: user.json.data.registrationToken,
      userInfo: { firstname: name, lastname: 'Test', password: 'Passw0rd-for-tests' },
    },
  });
  expect(registered.status, JSON.stringify(registered.json)).toBe(200);
  return registered.json.data.token;
}

async function apiTokenWith(
  name: string,
  type: 'custom' | 'read-only' | 'full-access',
  permissions: string[] = [],
) {
  const res = await call('POST', '/admin/api-tokens', {
    token: adminToken,
    body: { name, type, lifespan: null, description: '', ...(type === 'custom' ? { permissions } : {}) },
  });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.data.accessKey as string;
}

describe('every route the plugin registers, against every kind of caller', () => {
  const matrix: Array<{ surface: string; caller: string; route: string; status: number; expected: string }> =
    [];
  // Each test reports only its own mismatches.
  let wrong: string[] = [];
  beforeEach(() => {
    wrong = [];
  });
  const check = (
    surface: string,
    caller: string,
    route: Route,
    got: number,
    allowed: boolean | 'signature',
  ) => {
    const expected = allowed === 'signature' ? '401' : allowed ? 'not 401/403, below 500' : '401/403';
    matrix.push({ surface, caller, route: `${route.method} ${route.path}`, status: got, expected });
    const ok =
      allowed === 'signature'
        ? got === 401
        : allowed
          ? got !== 401 && got !== 403 && got < 500
          : got === 401 || got === 403;
    if (!ok) wrong.push(`${surface} ${caller} ${route.method} ${route.path}: ${got}, expected ${expected}`);
  };

  afterAll(() => {
    const callers = new Set(matrix.map((m) => `${m.surface}:${m.caller}`));
    figures.authMatrix = { requests: matrix.length, callers: callers.size };
  });

  /** The webhook subscriptions and the delivery log (which names webhooks and re-posts to them). */
  const touchesWebhooks = (r: Route) =>
    r.path === '/settings/webhooks' || r.path.startsWith('/event-deliveries');

  it('reads the route table from the built plugin', () => {
    const { admin, content } = pluginRoutes();
    expect(admin.length).toBe(36);
    expect(content.length).toBe(27);
    // Every admin route is guarded first by one of the plugin's own actions; only the routes that read or
    // edit Strapi's webhooks (URLs with receivers' tokens) or post to them add Strapi's own webhooks permissions.
    for (const r of admin) {
      const actions = routeActions(r);
      expect(actions[0], r.path).toMatch(/^plugin::dynamic-image\./);
      if (touchesWebhooks(r)) {
        expect(actions.slice(1), r.path).toEqual(
          r.method === 'GET' ? ['admin::webhooks.read'] : ['admin::webhooks.read', 'admin::webhooks.update'],
        );
      } else expect(actions, r.path).toHaveLength(1);
    }
  });

  it('admin API: anonymous 401, a role without every action of the route 403, the actions or super admin pass', async () => {
    const { admin } = pluginRoutes();
    const actions = [...new Set(admin.map((r) => routeActions(r)[0] as string))];
    // A route answers a role holding all of its actions (admin::hasPermissions requires every one).
    const holds = (granted: string[]) => (r: Route) => routeActions(r).every((a) => granted.includes(a));
    const callers: Array<{ name: string; token: string | null; allows: (r: Route) => boolean }> = [
      { name: 'anonymous', token: null, allows: () => false },
      { name: 'garbage token', token: 'not.a.jwt', allows: () => false },
      {
        name: 'admin without plugin actions',
        token: await adminWithActions('No-plugin', []),
        allows: () => false,
      },
      { name: 'super admin', token: adminToken, allows: () => true },
    ];
    for (const action of actions) {
      callers.push({
        name: `admin with only ${action}`,
        token: await adminWithActions(`Only-${action.split('.').slice(1).join('-')}`, [action]),
        allows: holds([action]),
      });
    }
    // The plugin's settings actions don't open Strapi's webhooks (their URLs carry receivers' tokens):
    // without admin::webhooks.* the webhooks routes are 403, with them they pass.
    const settings = ['plugin::dynamic-image.settings.read', 'plugin::dynamic-image.settings.update'];
    const webhooks = ['admin::webhooks.read', 'admin::webhooks.update'];
    // Said here, not read from the route table, so a table that forgets them fails this walk too.
    const webhooksNeed = (r: Route) => (r.method === 'GET' ? webhooks.slice(0, 1) : webhooks);
    for (const granted of [settings, [...settings, webhooks[0] as string], [...settings, ...webhooks]]) {
      callers.push({
        name: `admin with ${granted.join(' + ')}`,
        token: await adminWithActions(`Settings-${granted.length}`, granted),
        allows: (r) =>
          holds(granted)(r) && (!touchesWebhooks(r) || webhooksNeed(r).every((a) => granted.includes(a))),
      });
    }
    for (const caller of callers) {
      for (const route of admin) {
        const got = await status(route.method, `/dynamic-image${concrete(route.path)}`, caller.token);
        check('admin', caller.name, route, got, caller.allows(route));
      }
    }
    expect(wrong).toEqual([]);
  });

  it('content API: public 403, tokens and users-permissions roles get exactly their handlers', async () => {
    const { content } = pluginRoutes();
    const operations = content.filter((r) => r.config?.auth !== false);
    const workerRoutes = content.filter((r) => r.config?.auth === false);
    // Results, progress and failures, for jobs and for previews.
    expect(workerRoutes).toHaveLength(6);
    const handlerAction = (r: Route) => `plugin::dynamic-image.${r.handler}`;

    const callers: Array<{ name: string; token: string | null; allows: (r: Route) => boolean }> = [
      { name: 'public', token: null, allows: () => false },
      { name: 'garbage token', token: 'x'.repeat(64), allows: () => false },
      { name: 'full-access token', token: apiToken, allows: () => true },
      {
        name: 'read-only token',
        token: await apiTokenWith('read-only', 'read-only'),
        allows: (r) => /\.(find|findOne)$/.test(r.handler),
      },
      {
        name: 'custom token with no plugin action',
        token: await apiTokenWith('no-plugin', 'custom', ['plugin::upload.content-api.find']),
        allows: () => false,
      },
    ];
    for (const route of operations) {
      callers.push({
        name: `custom token with only ${route.handler}`,
        token: await apiTokenWith(`only-${route.handler}`, 'custom', [handlerAction(route)]),
        allows: (r) => r.handler === route.handler,
      });
    }
    // A users-permissions user, first with the authenticated role's defaults, then granted one handler.
    const registered = await call('POST', '/api/auth/local/register', {
      token: null,
      body: { username: 'reader', email: 'reader@example.com', password: 'Passw0rd-for-tests' },
    });
    expect(registered.status, JSON.stringify(registered.json)).toBe(200);
    const userJwt = registered.json.jwt as string;
    callers.push({ name: 'users-permissions user, no plugin action', token: userJwt, allows: () => false });

    for (const caller of callers) {
      for (const route of operations) {
        const got = await status(route.method, `/api/dynamic-image${concrete(route.path)}`, caller.token);
        check('content', caller.name, route, got, caller.allows(route));
      }
      // Worker routes answer only to a signature, whoever calls.
      for (const route of workerRoutes) {
        const got = await status(route.method, `/api/dynamic-image${concrete(route.path)}`, caller.token);
        check('content', caller.name, route, got, 'signature');
      }
    }

    const roles = await call('GET', '/users-permissions/roles', { token: adminToken });
    const authenticated = (roles.json.roles as Json[]).find((r) => r.type === 'authenticated') as Json;
    const grant = await call('PUT', `/users-permissions/roles/${authenticated.id}`, {
      token: adminToken,
      body: {
        name: authenticated.name,
        description: authenticated.description,
        permissions: { 'plugin::dynamic-image': { controllers: { template: { find: { enabled: true } } } } },
      },
    });
    expect(grant.status, JSON.stringify(grant.json)).toBe(200);
    for (const route of operations) {
      const got = await status(route.method, `/api/dynamic-image${concrete(route.path)}`, userJwt);
      check(
        'content',
        'users-permissions user granted template.find',
        route,
        got,
        route.handler === 'template.find',
      );
    }
    expect(wrong).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// GraphQL: the same operations, guarded by the same users-permissions actions

async function gql(query: string, variables: Json, token: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${cms.url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

/** Every resolver the plugin adds, with the REST handler whose action guards it. */
const GRAPHQL_OPERATIONS: Array<{ field: string; handler: string; query: string }> = [
  {
    field: 'dynamicImageTemplates',
    handler: 'template.find',
    query: '{ dynamicImageTemplates { templateId } }',
  },
  {
    field: 'dynamicImageTemplate',
    handler: 'template.findOne',
    query: '{ dynamicImageTemplate(templateId: "x") { name } }',
  },
  {
    field: 'dynamicImageWorkflows',
    handler: 'workflow.find',
    query: '{ dynamicImageWorkflows { workflowId } }',
  },
  {
    field: 'dynamicImageWorkflow',
    handler: 'workflow.findOne',
    query: '{ dynamicImageWorkflow(workflowId: "x") { name } }',
  },
  { field: 'dynamicImageJobs', handler: 'job.find', query: '{ dynamicImageJobs(limit: 1) { jobId } }' },
  { field: 'dynamicImageJob', handler: 'job.findOne', query: '{ dynamicImageJob(jobId: "x") { state } }' },
  {
    field: 'dynamicImageVideoInfo',
    handler: 'video.info',
    query: '{ dynamicImageVideoInfo(videoId: "x") { coverUrl } }',
  },
  {
    field: 'dynamicImages',
    handler: 'video.dynamicImages',
    query: '{ dynamicImages(videoId: "x") { dynamicImageId } }',
  },
  {
    field: 'dynamicImageUsage',
    handler: 'usage.find',
    query: '{ dynamicImageUsage(from: "2026-01") }',
  },
  {
    field: 'createDynamicImageTemplate',
    handler: 'template.create',
    query: 'mutation { createDynamicImageTemplate(data: {}) { templateId } }',
  },
  {
    field: 'updateDynamicImageTemplate',
    handler: 'template.update',
    query: 'mutation { updateDynamicImageTemplate(templateId: "x", data: {}) { templateId } }',
  },
  {
    field: 'deleteDynamicImageTemplate',
    handler: 'template.delete',
    query: 'mutation { deleteDynamicImageTemplate(templateId: "x") }',
  },
  {
    field: 'createDynamicImageWorkflow',
    handler: 'workflow.create',
    query: 'mutation { createDynamicImageWorkflow(data: {}) { workflowId } }',
  },
  {
    field: 'updateDynamicImageWorkflow',
    handler: 'workflow.update',
    query: 'mutation { updateDynamicImageWorkflow(workflowId: "x", data: {}) { workflowId } }',
  },
  {
    field: 'deleteDynamicImageWorkflow',
    handler: 'workflow.delete',
    query: 'mutation { deleteDynamicImageWorkflow(workflowId: "x") }',
  },
  {
    field: 'submitDynamicImageJob',
    handler: 'job.submit',
    query: 'mutation { submitDynamicImageJob(videoId: "x", templateId: "x") { jobId } }',
  },
  {
    field: 'retryDynamicImageJob',
    handler: 'job.retry',
    query: 'mutation { retryDynamicImageJob(jobId: "x") { jobId } }',
  },
  {
    field: 'setDynamicImageCover',
    handler: 'video.setCover',
    query: 'mutation { setDynamicImageCover(dynamicImageId: "x") }',
  },
  {
    field: 'submitWorkflowJob',
    handler: 'workflow.run',
    query: 'mutation { submitWorkflowJob(workflowId: "x", videoId: "x") { jobId } }',
  },
  {
    field: 'deleteDynamicImage',
    handler: 'video.deleteDynamicImage',
    query: 'mutation { deleteDynamicImage(dynamicImageId: "x") }',
  },
];

/** The plugin's own GraphQL types; anything else of its in the schema is shadow CRUD left on. */
const GRAPHQL_TYPES = [
  'DynamicImageTemplate',
  'DynamicImageWorkflow',
  'DynamicImageJob',
  'DynamicImage',
  'DynamicImageVideoInfo',
];

const INTROSPECTION = `{ __schema {
  queryType { name } mutationType { name }
  types { name kind fields { name } inputFields { name } }
} }`;

describe('GraphQL operations', () => {
  it("each answers only to callers with its REST twin's action, and never with an internal error", async () => {
    const callers: Array<{ name: string; token: string | null; allows: (handler: string) => boolean }> = [
      { name: 'public', token: null, allows: () => false },
      { name: 'full-access token', token: apiToken, allows: () => true },
      {
        name: 'custom token with no plugin action',
        token: await apiTokenWith('gql-no-plugin', 'custom', ['plugin::upload.content-api.find']),
        allows: () => false,
      },
    ];
    for (const op of GRAPHQL_OPERATIONS) {
      callers.push({
        name: `custom token with only ${op.handler}`,
        token: await apiTokenWith(`gql-only-${op.handler}`, 'custom', [
          `plugin::dynamic-image.${op.handler}`,
        ]),
        allows: (handler) => handler === op.handler,
      });
    }
    const wrong: string[] = [];
    let requests = 0;
    for (const caller of callers) {
      for (const op of GRAPHQL_OPERATIONS) {
        const { json } = await gql(op.query, {}, caller.token);
        requests += 1;
        const codes = ((json.errors ?? []) as Json[]).map((e) => e.extensions?.code as string);
        const refused = codes.some((c) => c === 'FORBIDDEN' || c === 'UNAUTHENTICATED');
        if (codes.includes('INTERNAL_SERVER_ERROR'))
          wrong.push(`${caller.name} ${op.handler}: internal error`);
        if (refused === caller.allows(op.handler)) {
          wrong.push(`${caller.name} ${op.handler}: ${refused ? 'refused' : 'let through'} (${codes})`);
        }
      }
    }
    figures.graphqlMatrix = { requests, callers: callers.length };
    expect(wrong).toEqual([]);
  });

  it("the schema holds the plugin's allow-listed types and operations and nothing else of its", async () => {
    const { json } = await gql(INTROSPECTION, {}, apiToken);
    expect(json.errors, JSON.stringify(json.errors)).toBeUndefined();
    const schema = json.data.__schema as Json;
    const types = schema.types as Json[];
    const fieldsOf = (name: string) =>
      ((types.find((t) => t.name === name)?.fields ?? []) as Json[]).map((f) => f.name as string);
    const operations = [...fieldsOf(schema.queryType.name), ...fieldsOf(schema.mutationType.name)];
    // Every name the plugin's content types would give shadow CRUD starts with the plugin's prefix
    // (DynamicImagePendingEvent, createDynamicImagePendingEvent, DynamicImageJobFiltersInput…).
    const ours = (name: string) => /dynamic_?image/i.test(name);
    const plugin = [...types.map((t) => t.name as string), ...operations].filter(ours).sort();
    const allowed = [...GRAPHQL_TYPES, ...GRAPHQL_OPERATIONS.map((op) => op.field)].filter(ours).sort();
    expect(plugin).toEqual(allowed);
    // And every operation the plugin means to expose is in the RBAC walk above, and in the schema.
    for (const op of GRAPHQL_OPERATIONS) expect(operations, op.field).toContain(op.field);
    expect(new Set(GRAPHQL_OPERATIONS.map((op) => op.handler)).size).toBe(GRAPHQL_OPERATIONS.length);
    // Also no field of any other type leads to one of the internal types.
    for (const t of types) {
      if (ours(t.name)) continue;
      for (const f of [...((t.fields ?? []) as Json[]), ...((t.inputFields ?? []) as Json[])]) {
        if (ours(f.name) && !operations.includes(f.name)) expect.fail(`${t.name}.${f.name}`);
      }
    }
  });

  it('a full-access token cannot write the event outbox: the forged mutation is refused, nothing is stored', async () => {
    const forged = await gql(
      `mutation { createDynamicImagePendingEvent(data: {
        jobId: "spoofed-job-1",
        payload: { Status: "success", FileURL: "http://evil.example/x.gif" }
      }) { documentId } }`,
      {},
      apiToken,
    );
    expect(forged.json.data ?? null, JSON.stringify(forged.json)).toBeNull();
    expect(forged.json.errors?.[0]?.extensions?.code, JSON.stringify(forged.json)).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    expect(forged.json.errors?.[0]?.message).toMatch(/Cannot query field "createDynamicImagePendingEvent"/);
    const stored = await queryRows<{ n: number }>(
      database.url,
      'select count(*)::int as n from dynamic_image_pending_events',
    );
    expect(stored[0]?.n).toBe(0);
  });

  it('dynamicImageJobs checks its filters as GET /jobs does: the same coded refusal on both surfaces', async () => {
    const cases: Array<{ args: string; query: string; code: string }> = [
      { args: 'limit: 0', query: 'limit=0', code: 'InvalidParameter.Limit' },
      { args: 'limit: -1', query: 'limit=-1', code: 'InvalidParameter.Limit' },
      { args: 'limit: 1001', query: 'limit=1001', code: 'InvalidParameter.Limit' },
      { args: 'state: "done"', query: 'state=done', code: 'InvalidParameter.State' },
      { args: 'state: ""', query: 'state=', code: 'InvalidParameter.State' },
      { args: 'videoId: "abc"', query: 'videoId=abc', code: 'InvalidParameter.VideoId' },
      { args: 'videoId: "0"', query: 'videoId=0', code: 'InvalidParameter.VideoId' },
    ];
    for (const c of cases) {
      const rest = await call('GET', `/api/dynamic-image/jobs?${c.query}`);
      expect(rest.status, c.query).toBe(400);
      expect(rest.json.error?.code, c.query).toBe(c.code);
      const { json } = await gql(`{ dynamicImageJobs(${c.args}) { jobId } }`, {}, apiToken);
      const error = json.errors?.[0];
      expect(json.data?.dynamicImageJobs ?? null, c.args).toBeNull();
      expect(error?.extensions?.code, c.args).toBe('BAD_USER_INPUT');
      expect(error?.extensions?.error?.details?.code, c.args).toBe(c.code);
      expect(error?.extensions?.error?.details?.status, c.args).toBe(400);
    }
    // Valid filters answer alike on both surfaces.
    const rest = await call('GET', '/api/dynamic-image/jobs?state=queued&limit=2');
    const { json } = await gql('{ dynamicImageJobs(state: "queued", limit: 2) { jobId } }', {}, apiToken);
    expect(json.errors).toBeUndefined();
    expect(json.data.dynamicImageJobs.map((j: Json) => j.jobId)).toEqual(
      rest.json.data.map((j: Json) => j.jobId),
    );
  });

  it('fuzzed createDynamicImageTemplate and submitDynamicImageJob: core decides; errors carry a code', async () => {
    // /graphql is Strapi's, shared by every content type: a `__proto__` key is refused by its body parser
    // (400, before any resolver), which the plugin leaves as it is there.
    const codeOf = (json: Json) =>
      json.error?.name === 'SyntaxError' && /prototype/.test(json.error.message)
        ? 'InvalidParameter.Body'
        : ((json.errors?.[0]?.extensions?.error?.details?.code as string | undefined) ?? '');
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(templateBody, async (body) => {
        const sent = wire(body);
        const verdict = coreVerdict(sent);
        const taken =
          verdict &&
          (await call('GET', '/api/dynamic-image/templates')).json.data.some(
            (t: Json) => t.name === verdict.name,
          );
        const { json } = await gql(
          'mutation($d: JSON!) { createDynamicImageTemplate(data: $d) { templateId name } }',
          { d: sent },
          apiToken,
        );
        runs += 1;
        if (verdict && !taken) {
          expect(json.errors, JSON.stringify({ sent, json })).toBeUndefined();
          expect(json.data.createDynamicImageTemplate.name).toBe(verdict.name);
        } else {
          expect(codeOf(json), JSON.stringify({ sent, json })).toMatch(CODE);
        }
      }),
      { numRuns: 50, seed: 29, endOnFailure: true },
    );
    const templates = (await call('GET', '/api/dynamic-image/templates')).json.data as Json[];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...templates.map((t) => t.templateId as string)),
        fc.oneof(
          templateBody.map((b) => ({ ...b, name: undefined })),
          hostileValue,
        ),
        async (templateId, overrides) => {
          const sent = wire(overrides);
          const { json } = await gql(
            'mutation($v: ID!, $t: String!, $o: JSON) { submitDynamicImageJob(videoId: $v, templateId: $t, overrideParams: $o) { jobId template } }',
            { v: String(videoId), t: templateId, o: sent },
            apiToken,
          );
          runs += 1;
          const base = templates.find((t) => t.templateId === templateId) as Json;
          const { templateId: _t, createdAt: _c, updatedAt: _u, ...template } = base;
          let expected: Template | null = null;
          try {
            if (jobVerdict(template as Template, sent) === 'ok')
              expected = applyOverrides(template as Template, sent);
          } catch {}
          if (expected)
            expect(json.data?.submitDynamicImageJob?.template, JSON.stringify({ sent, json })).toEqual(
              expected,
            );
          else expect(codeOf(json), JSON.stringify({ sent, json })).toMatch(CODE);
        },
      ),
      { numRuns: 30, seed: 31, endOnFailure: true },
    );
    figures.graphqlFuzz = runs;
  });
});

// ---------------------------------------------------------------------------------------------
// Worker → CMS signatures

describe('the worker-to-CMS endpoints refuse bad signatures', () => {
  const sign = (secret: string, timestamp: number, method: string, path: string, body: Uint8Array) =>
    signature(secret, { timestamp, method, path, body });
  const now = nowSeconds;
  const post = async (path: string, body: Uint8Array, signature?: string, token?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (signature !== undefined) headers[SIGNATURE_HEADER] = signature;
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${cms.url}${path}`, { method: 'POST', headers, body });
    const text = await res.text();
    return { status: res.status, code: (text ? JSON.parse(text) : {}).error?.code as string | undefined };
  };
  let jobId: string;
  let otherJobId: string;
  const tried: string[] = [];

  beforeAll(async () => {
    const jobs = (await call('GET', '/api/dynamic-image/jobs?limit=1000')).json.data as Json[];
    const queued = jobs.filter((j) => j.state === 'queued');
    expect(queued.length).toBeGreaterThanOrEqual(2);
    jobId = queued[0]?.jobId;
    otherJobId = queued[1]?.jobId;
  });

  afterAll(() => {
    figures.signatureCases = tried.length;
  });

  it('refuses forged, tampered, misdirected, expired, future and replayed signatures', async () => {
    const path = `/api/dynamic-image/worker/jobs/${jobId}/progress`;
    const body = new TextEncoder().encode(
      JSON.stringify({ jobId, stage: 'encode', percent: 40, attempt: 1 }),
    );
    const cases: Array<[string, string | undefined, Uint8Array, string, string?]> = [
      ['no header', undefined, body, 'Unauthorized.Signature'],
      ['empty header', '', body, 'Unauthorized.Signature'],
      ['garbage header', 'hello', body, 'Unauthorized.Signature'],
      ['no timestamp', `n=${'b'.repeat(32)},v1=${'a'.repeat(64)}`, body, 'Unauthorized.Signature'],
      [
        'timestamp not a number',
        `t=soon,n=${'b'.repeat(32)},v1=${'a'.repeat(64)}`,
        body,
        'Unauthorized.Signature',
      ],
      ['short hmac', `t=${now()},n=${'b'.repeat(32)},v1=abc`, body, 'Unauthorized.Signature'],
      ['no nonce (the old format)', `t=${now()},v1=${'a'.repeat(64)}`, body, 'Unauthorized.Signature'],
      [
        'upper-case hmac',
        sign(cms.secret, now(), 'POST', path, body)
          .toUpperCase()
          .replace('T=', 't=')
          .replace('N=', 'n=')
          .replace('V1=', 'v1='),
        body,
        'Unauthorized.Signature',
      ],
      [
        'wrong secret',
        sign('not-the-secret-at-all', now(), 'POST', path, body),
        body,
        'Unauthorized.Signature',
      ],
      ['empty secret', sign('', now(), 'POST', path, body), body, 'Unauthorized.Signature'],
      [
        'tampered body',
        sign(cms.secret, now(), 'POST', path, body),
        new TextEncoder().encode('{"percent":100}'),
        'Unauthorized.Signature',
      ],
      [
        'signed for another job',
        sign(cms.secret, now(), 'POST', `/api/dynamic-image/worker/jobs/${otherJobId}/progress`, body),
        body,
        'Unauthorized.Signature',
      ],
      [
        'signed for the failure endpoint',
        sign(cms.secret, now(), 'POST', `/api/dynamic-image/worker/jobs/${jobId}/failure`, body),
        body,
        'Unauthorized.Signature',
      ],
      ['signed for GET', sign(cms.secret, now(), 'GET', path, body), body, 'Unauthorized.Signature'],
      [
        'expired (6 min old, correctly signed)',
        sign(cms.secret, now() - 360, 'POST', path, body),
        body,
        'Unauthorized.SignatureExpired',
      ],
      [
        'from the future (6 min ahead)',
        sign(cms.secret, now() + 360, 'POST', path, body),
        body,
        'Unauthorized.SignatureExpired',
      ],
      [
        'stale timestamp on a fresh hmac',
        sign(cms.secret, now(), 'POST', path, body).replace(/t=\d+/, 't=1000'),
        body,
        'Unauthorized.SignatureExpired',
      ],
    ];
    for (const [name, signature, sent, code] of cases) {
      const res = await post(path, sent, signature);
      tried.push(name);
      expect({ name, ...res }).toEqual({ name, status: 401, code });
    }
    // A full-access API token is no substitute for a signature.
    expect(await post(path, body, undefined, apiToken)).toMatchObject({ status: 401 });
    tried.push('API token instead of a signature');

    // The real thing passes once; the same request again is a replay.
    const good = sign(cms.secret, now(), 'POST', path, body);
    expect(await post(path, body, good)).toMatchObject({ status: 204 });
    expect(await post(path, body, good)).toEqual({ status: 401, code: 'Unauthorized.SignatureReplayed' });
    tried.push('replayed');
    expect((await call('GET', `/api/dynamic-image/jobs/${jobId}`)).json.data).toMatchObject({ progress: 40 });
  });

  it('a correctly signed report that breaks the contract is a coded 400 and changes nothing', async () => {
    const good = { jobId: otherJobId, stage: 'encode', percent: 40, attempt: 1 };
    const failure = { code: 'INTERNAL', message: 'x', attempt: 1, final: true };
    const progressCases: Array<[string, unknown]> = [
      ['empty object', {}],
      ['null', null],
      ['an array', [good]],
      ['percent 500', { ...good, percent: 500 }],
      ['percent -5', { ...good, percent: -5 }],
      ['percent as a string', { ...good, percent: '40' }],
      ['percent null', { ...good, percent: null }],
      ['no percent', { ...good, percent: undefined }],
      ['an unknown stage', { ...good, stage: 'done' }],
      ['attempt 0', { ...good, attempt: 0 }],
      ['attempt past int4', { ...good, attempt: 2 ** 31 }],
      ['attempt as a string', { ...good, attempt: '1' }],
      ['no jobId', { ...good, jobId: undefined }],
      ["another job's id", { ...good, jobId }],
    ];
    const failureCases: Array<[string, unknown]> = [
      ['empty object', {}],
      ['final as a string', { ...failure, final: 'true' }],
      ['no final', { ...failure, final: undefined }],
      ['code a number', { ...failure, code: 500 }],
      ['a lower-case code', { ...failure, code: 'internal' }],
      ['message an object', { ...failure, message: { text: 'x' } }],
      ['a message one past the longest kept', { ...failure, message: 'x'.repeat(MAX_FAILURE_MESSAGE + 1) }],
      ['attempt -1', { ...failure, attempt: -1 }],
      ['details a string', { ...failure, details: 'x' }],
    ];
    const before = (await call('GET', `/api/dynamic-image/jobs/${otherJobId}`)).json.data;
    const refused: string[] = [];
    const started = performance.now();
    for (const [kind, cases] of [
      ['progress', progressCases],
      ['failure', failureCases],
    ] as const) {
      const path = `/api/dynamic-image/worker/jobs/${otherJobId}/${kind}`;
      for (const [name, value] of cases) {
        const body = new TextEncoder().encode(JSON.stringify(value));
        const res = await post(path, body, sign(cms.secret, now(), 'POST', path, body));
        if (res.status === 400 && res.code === 'InvalidParameter.Body') refused.push(`${kind}: ${name}`);
        else
          expect({ kind, name, ...res }).toEqual({ kind, name, status: 400, code: 'InvalidParameter.Body' });
      }
    }
    expect(refused).toHaveLength(progressCases.length + failureCases.length);
    figures.contractCases = refused.length;
    figures.contractRefusalMs = Math.round((performance.now() - started) / refused.length);
    // A body past the report size limit is refused for its size, before anything reads it.
    const failurePath = `/api/dynamic-image/worker/jobs/${otherJobId}/failure`;
    const oversize = new TextEncoder().encode(JSON.stringify({ ...failure, message: 'x'.repeat(10_000) }));
    expect(await post(failurePath, oversize, sign(cms.secret, now(), 'POST', failurePath, oversize))).toEqual(
      {
        status: 413,
        code: 'PayloadTooLarge.Body',
      },
    );
    expect((await call('GET', `/api/dynamic-image/jobs/${otherJobId}`)).json.data).toEqual(before);

    // The same for a preview's endpoints.
    const created = await call('POST', '/dynamic-image/previews', {
      token: adminToken,
      body: {
        videoId,
        template: {
          name: 'contract',
          format: 'gif',
          fps: 5,
          width: 160,
          captureMethod: 'byDuration',
          duration: 1,
        },
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const previewId = created.json.data.previewId as string;
    for (const [kind, value] of [
      ['progress', { ...good, jobId: previewId, percent: 500 }],
      ['progress', {}],
      ['failure', { ...failure, final: 1 }],
      ['failure', {}],
    ] as const) {
      const path = `/api/dynamic-image/worker/previews/${previewId}/${kind}`;
      const body = new TextEncoder().encode(JSON.stringify(value));
      expect(await post(path, body, sign(cms.secret, now(), 'POST', path, body))).toEqual({
        status: 400,
        code: 'InvalidParameter.Body',
      });
      figures.contractCases = (figures.contractCases as number) + 1;
    }
    const preview = (await call('GET', `/dynamic-image/previews/${previewId}`, { token: adminToken })).json
      .data;
    expect(preview).toMatchObject({ state: 'queued', progress: 0, errorCode: null });

    // What a worker sends still passes (on the job the first test already moved on).
    const path = `/api/dynamic-image/worker/jobs/${jobId}/progress`;
    const body = new TextEncoder().encode(JSON.stringify({ ...good, jobId, percent: 12.5 }));
    expect(await post(path, body, sign(cms.secret, now(), 'POST', path, body))).toEqual({
      status: 204,
      code: undefined,
    });
    expect((await call('GET', `/api/dynamic-image/jobs/${jobId}`)).json.data).toMatchObject({
      state: 'processing',
      progress: 13,
      stage: 'encode',
    });
  });

  it('a forged result stores nothing and leaves the job as it was', async () => {
    const path = `/api/dynamic-image/worker/jobs/${otherJobId}`;
    const before = (await call('GET', `/api/dynamic-image/jobs/${otherJobId}`)).json.data;
    const gif = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]);
    for (const signature of [
      undefined,
      sign('not-the-secret-at-all', now(), 'POST', path, gif),
      sign(cms.secret, now() - 3600, 'POST', path, gif),
    ]) {
      expect((await post(path, gif, signature)).status).toBe(401);
      tried.push('forged result');
    }
    const failurePath = `${path}/failure`;
    const failure = new TextEncoder().encode(
      JSON.stringify({ code: 'INTERNAL', message: 'x', attempt: 1, final: true }),
    );
    expect(
      (
        await post(
          failurePath,
          failure,
          sign('wrong-secret-wrong-secret', now(), 'POST', failurePath, failure),
        )
      ).status,
    ).toBe(401);
    tried.push('forged failure');
    const after = (await call('GET', `/api/dynamic-image/jobs/${otherJobId}`)).json.data;
    expect(after).toEqual(before);
    expect(after.state).toBe('queued');
  });
});
