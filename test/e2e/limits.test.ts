// The cost ceiling through a real Strapi (docs/limits.md): a job whose template alone is over the plan
// budget is refused at submit with its figure, on REST and GraphQL alike; a content-API caller may have
// only so many jobs queued or running, also when its submissions race. A video read from its URL to take
// its content hash (on the submit path) is read within a time and a size.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSample, resolveFfmpegBinaries } from '@dynamic-image/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import { waitUntil } from '../support/wait.js';

type Json = Record<string, any>;

const MAX_PIXEL_FRAMES = 5_000_000;
const MAX_ACTIVE = 3;
const HASH_MAX_BYTES = 1024 * 1024;
const HASH_TIMEOUT_SECONDS = 2;

/** Figures for RELIABILITY.md, "Cost ceiling", printed when LIMITS_REPORT is set. */
const figures: Record<string, number> = {};

let database: TestDatabase;
let cms: RunningCms;
let adminToken: string;
let apiToken: string;
let videoId: number;
let templateId: string;
let clip: string;

async function call(method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${cms.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Json };
}

async function gql(query: string, variables: Json, token: string) {
  return (await call('POST', '/graphql', token, { query, variables })).json;
}

/** A new full-access token: a caller of its own. */
async function newToken(): Promise<string> {
  const res = await call('POST', '/admin/api-tokens', adminToken, {
    name: `caller-${randomUUID()}`,
    type: 'full-access',
    lifespan: null,
    description: '',
  });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.data.accessKey;
}

const submit = (token: string) =>
  call('POST', '/api/dynamic-image/jobs', token, { videoId, templateId, force: true });

const jobCount = async () =>
  Number(
    (await queryRows<{ n: string }>(database.url, 'select count(*) as n from dynamic_image_jobs'))[0]?.n,
  );

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-limits-'));
  clip = await generateSample(resolveFfmpegBinaries(), 'landscape', dir, 2);
  database = await startTestDatabase();
  // No worker: jobs stay queued, so a caller's jobs stay active for as long as the test needs.
  cms = await startCms(database.url, {
    DYNAMIC_IMAGE_WORKER_MODE: 'off',
    DYNAMIC_IMAGE_MAX_PIXEL_FRAMES: String(MAX_PIXEL_FRAMES),
    DYNAMIC_IMAGE_MAX_ACTIVE_JOBS_PER_CALLER: String(MAX_ACTIVE),
    DYNAMIC_IMAGE_CONTENT_HASH_MAX_BYTES: String(HASH_MAX_BYTES),
    DYNAMIC_IMAGE_CONTENT_HASH_TIMEOUT_SECONDS: String(HASH_TIMEOUT_SECONDS),
    DYNAMIC_IMAGE_AUTO_THUMBNAIL: '[]',
  });
  ({ adminToken, apiToken } = await bootstrapAccess(cms.url));
  const form = new FormData();
  form.append('files', new Blob([await readFile(clip)], { type: 'video/mp4' }), 'clip.mp4');
  const upload = await fetch(`${cms.url}/api/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}` },
    body: form,
  });
  expect(upload.status).toBe(201);
  videoId = ((await upload.json()) as Json[])[0]?.id;
  const template = await call('POST', '/api/dynamic-image/templates', apiToken, {
    name: 'small-webp',
    format: 'webp',
    fps: 10,
    width: 320,
    height: 180,
    captureMethod: 'byDuration',
    start: 0,
    duration: 2,
  });
  expect(template.status, JSON.stringify(template.json)).toBe(201);
  templateId = template.json.data.templateId;
});

afterAll(async () => {
  if (process.env.LIMITS_REPORT) console.log(JSON.stringify(figures));
  await cms?.stop();
  await database?.stop();
});

describe('the plan budget at submit', () => {
  const huge = { format: 'webp', fps: 60, width: 4096, height: 4096, duration: 10 };
  const figure =
    'would take 10,066,329,600 pixel-frames (4096×4096 × 600 frames), over the limit of 5,000,000 (maxPixelFrames)';

  it('refuses webp at 60 fps and 4096×4096 for 10 s with BUDGET_EXCEEDED, its figure and the limit; stores no job', async () => {
    const token = await newToken();
    const before = await jobCount();
    const started = performance.now();
    const res = await call('POST', '/api/dynamic-image/jobs', token, {
      videoId,
      templateId,
      overrideParams: huge,
      force: true,
    });
    figures.budgetRefusalMs = Math.round(performance.now() - started);
    expect(res.status, JSON.stringify(res.json)).toBe(400);
    expect(res.json.error.code).toBe('BUDGET_EXCEEDED');
    expect(res.json.error.message).toContain(figure);
    expect(res.json.error.details).toMatchObject({
      limit: 'maxPixelFrames',
      figure: 10_066_329_600,
      max: MAX_PIXEL_FRAMES,
    });
    const viaGraphql = await gql(
      'mutation($v: ID!, $t: String!, $o: JSON) { submitDynamicImageJob(videoId: $v, templateId: $t, overrideParams: $o, force: true) { jobId } }',
      { v: String(videoId), t: templateId, o: huge },
      token,
    );
    expect(viaGraphql.errors?.[0]?.extensions?.error?.details?.code, JSON.stringify(viaGraphql)).toBe(
      'BUDGET_EXCEEDED',
    );
    expect(viaGraphql.errors?.[0]?.message).toContain(figure);
    expect(await jobCount()).toBe(before);
  });

  it('takes a template within the budget; one whose cost needs the source is left to the worker', async () => {
    const token = await newToken();
    const small = await submit(token);
    expect(small.status, JSON.stringify(small.json)).toBe(201);
    // trimBeginEnd: the window's length is the source's, unknown until the worker probes it.
    const trim = await call('POST', '/api/dynamic-image/jobs', token, {
      videoId,
      templateId,
      overrideParams: { ...huge, duration: undefined, captureMethod: 'trimBeginEnd', trimEnd: 0 },
    });
    expect(trim.status, JSON.stringify(trim.json)).toBe(201);
    // The queued job carries the budget, for whichever worker takes it.
    const rows = await queryRows<{ data: Json }>(
      database.url,
      `select data from pgboss.job where data->>'jobId' = $1`,
      [trim.json.data.jobId],
    );
    expect(rows[0]?.data.budget).toEqual({
      maxPixelFrames: MAX_PIXEL_FRAMES,
      maxOutputBytes: 256 * 1024 * 1024,
    });
  });
});

describe('jobs queued or running per content-API caller', () => {
  it(`a token gets ${MAX_ACTIVE}, then 429 LimitExceeded.ActiveJobs on every way to submit; another token still gets its own`, async () => {
    const token = await newToken();
    const taken: string[] = [];
    for (let i = 0; i < MAX_ACTIVE; i++) {
      const res = await submit(token);
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      taken.push(res.json.data.jobId);
    }
    const refused = await submit(token);
    expect(refused.status, JSON.stringify(refused.json)).toBe(429);
    expect(refused.json.error).toMatchObject({
      code: 'LimitExceeded.ActiveJobs',
      details: { active: MAX_ACTIVE, limit: MAX_ACTIVE },
    });
    expect(refused.json.error.message).toContain(
      `already has ${MAX_ACTIVE} jobs queued or running, the limit is ${MAX_ACTIVE}`,
    );
    const viaGraphql = await gql(
      'mutation($v: ID!, $t: String!) { submitDynamicImageJob(videoId: $v, templateId: $t, force: true) { jobId } }',
      { v: String(videoId), t: templateId },
      token,
    );
    expect(viaGraphql.errors?.[0]?.extensions?.error?.details).toMatchObject({
      code: 'LimitExceeded.ActiveJobs',
      status: 429,
    });
    const workflow = await call('POST', '/api/dynamic-image/workflows', token, {
      name: `one-step-${randomUUID().slice(0, 8)}`,
      nodes: [{ templateId }],
    });
    expect(workflow.status, JSON.stringify(workflow.json)).toBe(201);
    const run = await call(
      'POST',
      `/api/dynamic-image/workflows/${workflow.json.data.workflowId}/jobs`,
      token,
      {
        videoId,
        force: true,
      },
    );
    expect(run.status, JSON.stringify(run.json)).toBe(429);
    // Per caller: another token, and the admin panel, are not held by this token's jobs.
    expect((await submit(await newToken())).status).toBe(201);
    const admin = await call('POST', '/dynamic-image/jobs', adminToken, { videoId, templateId, force: true });
    expect(admin.status, JSON.stringify(admin.json)).toBe(201);
    // A job that ends frees its place (as a worker's final failure would end it).
    await queryRows(database.url, `update dynamic_image_jobs set state = 'failed' where job_id = $1`, [
      taken[0],
    ]);
    expect((await submit(token)).status).toBe(201);
    expect((await submit(token)).status).toBe(429);
  });

  it(`submissions racing from one token: exactly ${MAX_ACTIVE} are taken`, async () => {
    const token = await newToken();
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 10 }, () => submit(token)));
    figures.tenRacingSubmitsMs = Math.round(performance.now() - started);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(MAX_ACTIVE).fill(201), ...Array(10 - MAX_ACTIVE).fill(429)]);
  });
});

describe('the content-hash read of a video from its URL', () => {
  /** A source on another origin (as with an S3 or CDN provider): what it sent, and whether it was hung up on. */
  async function source(
    handle: (req: IncomingMessage, res: ServerResponse, sent: (n: number) => void) => void,
  ) {
    const state = { sent: 0, closed: false };
    const server = createServer((req, res) => {
      res.on('close', () => {
        state.closed = true;
      });
      handle(req, res, (n) => {
        state.sent += n;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/video.mp4`;
    return {
      state,
      url,
      close: () => {
        server.closeAllConnections();
        return new Promise((resolve) => server.close(resolve));
      },
    };
  }

  /**
   * A new video whose file is then served from `url`: its hash taken at upload no longer matches its
   * URL, so a submit reads it from there (as for a file written around the upload service).
   */
  async function videoAt(url: string): Promise<number> {
    const form = new FormData();
    form.append('files', new Blob([await readFile(clip)], { type: 'video/mp4' }), `${randomUUID()}.mp4`);
    const upload = await fetch(`${cms.url}/api/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}` },
      body: form,
    });
    expect(upload.status).toBe(201);
    const id = ((await upload.json()) as Json[])[0]?.id as number;
    await queryRows(database.url, 'update files set url = $1 where id = $2', [url, id]);
    return id;
  }

  /** The job for a video, submitted as a content-API caller; it must not have been queued for a worker. */
  async function submitted(video: number) {
    const res = await call('POST', '/api/dynamic-image/jobs', await newToken(), {
      videoId: video,
      templateId,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    const queued = await queryRows(database.url, `select 1 from pgboss.job where data->>'jobId' = $1`, [
      res.json.data.jobId,
    ]);
    expect(queued).toEqual([]);
    return res.json.data as Json;
  }

  it(`a source that stalls: the job fails SOURCE_UNREACHABLE after ${HASH_TIMEOUT_SECONDS} s, and the read is hung up`, async () => {
    const stalled = await source((_req, res, sent) => {
      // A length within the cap, so only the time can stop the read.
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': HASH_MAX_BYTES / 2 });
      res.write(Buffer.alloc(4096));
      sent(4096);
      // …and nothing more.
    });
    try {
      const job = await submitted(await videoAt(stalled.url));
      expect(job).toMatchObject({ state: 'failed', errorCode: 'SOURCE_UNREACHABLE', created: true });
      expect(job.errorMessage).toContain(
        `could not be read within ${HASH_TIMEOUT_SECONDS} s to take its content hash (contentHash.timeoutSeconds)`,
      );
      expect((await call('GET', `/api/dynamic-image/jobs/${job.jobId}`, apiToken)).json.data).toMatchObject({
        state: 'failed',
        errorCode: 'SOURCE_UNREACHABLE',
      });
      await waitUntil('the CMS to hang up on the stalled source', () => stalled.state.closed, {
        timeout: 10_000,
      });
    } finally {
      await stalled.close();
    }
  });

  it('a source sending more than the cap: the job fails UNSUPPORTED_SOURCE, and the read stops', async () => {
    // No declared length: the body runs on until the reader hangs up.
    const endless = await source((_req, res, sent) => {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (!res.destroyed) {
          sent(chunk.length);
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    // A declared length over the cap is refused before the body is read.
    const declared = await source((_req, res, sent) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 64 * HASH_MAX_BYTES });
      res.write(Buffer.alloc(4096));
      sent(4096);
    });
    try {
      const job = await submitted(await videoAt(endless.url));
      expect(job).toMatchObject({ state: 'failed', errorCode: 'UNSUPPORTED_SOURCE' });
      expect(job.errorMessage).toContain(
        `sent more than the ${HASH_MAX_BYTES} bytes the CMS reads to take its content hash (contentHash.maxBytes)`,
      );
      await waitUntil('the CMS to hang up on the endless source', () => endless.state.closed, {
        timeout: 10_000,
      });
      // What loopback's socket buffers took on top of the cap, not a whole source.
      expect(endless.state.sent).toBeLessThan(32 * HASH_MAX_BYTES);

      const refused = await submitted(await videoAt(declared.url));
      expect(refused).toMatchObject({ state: 'failed', errorCode: 'UNSUPPORTED_SOURCE' });
      expect(refused.errorMessage).toContain(
        `is ${64 * HASH_MAX_BYTES} bytes, over the ${HASH_MAX_BYTES} bytes the CMS reads`,
      );
      await waitUntil('the CMS to hang up on the declared-too-large source', () => declared.state.closed, {
        timeout: 10_000,
      });
    } finally {
      await endless.close();
      await declared.close();
    }
  });
});
