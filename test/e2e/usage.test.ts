// The usage report against real outputs: jobs run by a real Strapi's embedded worker (a workflow of two
// templates, a one-off, and a job sharing another video's encode), then the report's counts, seconds,
// classes and bytes per month, template and workflow checked against the jobs' own results.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSample, resolveFfmpegBinaries } from '@dynamic-image/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import { waitUntil } from '../support/wait.js';

type Json = Record<string, any>;

let database: TestDatabase;
let cms: RunningCms;
let apiToken: string;
let adminToken: string;
const jobs: Json[] = [];
let small: string;
let large: string;
let workflowId: string;

async function call(method: string, path: string, body?: unknown, token = apiToken) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined && !(body instanceof FormData)) headers['content-type'] = 'application/json';
  const response = await fetch(`${cms.url}${path}`, {
    method,
    headers,
    body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    type,
    disposition: response.headers.get('content-disposition'),
    text,
    json: (text && type.includes('json') ? JSON.parse(text) : null) as Json,
  };
}

function waitForJob(jobId: string): Promise<Json> {
  return waitUntil(
    `job ${jobId} to end`,
    async () => {
      const { json } = await call('GET', `/api/dynamic-image/jobs/${jobId}`);
      return ['success', 'failed'].includes(json.data?.state) ? (json.data as Json) : undefined;
    },
    { detail: () => cms.log().slice(-3000) },
  );
}

async function upload(bytes: Buffer, name: string): Promise<number> {
  const form = new FormData();
  form.append('files', new Blob([bytes], { type: 'video/mp4' }), name);
  const res = await call('POST', '/api/upload', form);
  expect(res.status, res.text).toBe(201);
  return res.json[0].id;
}

async function template(body: Json): Promise<string> {
  const res = await call('POST', '/api/dynamic-image/templates', body);
  expect(res.status, res.text).toBe(201);
  return res.json.data.templateId;
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-usage-'));
  const bytes = await readFile(await generateSample(resolveFfmpegBinaries(), 'landscape', dir, 3));
  database = await startTestDatabase();
  cms = await startCms(database.url, { DYNAMIC_IMAGE_AUTO_THUMBNAIL: '[]' });
  ({ apiToken, adminToken } = await bootstrapAccess(cms.url));
  const first = await upload(bytes, 'first.mp4');
  const second = await upload(bytes, 'second.mp4');
  // 160 × 90 (LD) and 800 × 450 (SD: its long side is past LD's 640) from the 640 × 360 source.
  small = await template({
    name: 'usage_small',
    format: 'gif',
    fps: 5,
    width: 160,
    captureMethod: 'byDuration',
    duration: 1,
  });
  large = await template({
    name: 'usage_large',
    format: 'webp',
    fps: 5,
    width: 800,
    captureMethod: 'byDuration',
    duration: 2,
  });
  const workflow = await call('POST', '/api/dynamic-image/workflows', {
    name: 'usage-client-a',
    nodes: [{ templateId: small }, { templateId: large }],
  });
  expect(workflow.status, workflow.text).toBe(201);
  workflowId = workflow.json.data.workflowId;
  const run = await call('POST', `/api/dynamic-image/workflows/${workflowId}/jobs`, { videoId: first });
  expect(run.status, run.text).toBe(201);
  const made: Json[] = run.json.data.jobs ?? run.json.data;
  for (const job of made) jobs.push(await waitForJob(job.jobId));
  // The same bytes as another video, with no workflow: a job of its own sharing the first's encode.
  const shared = await call('POST', '/api/dynamic-image/jobs', { videoId: second, templateId: small });
  expect(shared.status, shared.text).toBe(201);
  expect(shared.json.data.encodeJobId).toBeTruthy();
  jobs.push(await waitForJob(shared.json.data.jobId));
}, 300_000);

afterAll(async () => {
  await cms?.stop();
  await database?.stop();
});

const month = (job: Json) => String(job.finishedAt).slice(0, 7);

describe('usage report', () => {
  it('counts every successful job by month, template and workflow, with its seconds by class', async () => {
    expect(jobs.map((j) => j.state)).toEqual(['success', 'success', 'success']);
    const bySize = Object.fromEntries(jobs.map((j) => [j.templateId, [j.result.width, j.result.height]]));
    expect(bySize).toEqual({ [small]: [160, 90], [large]: [800, 450] });
    // Each job records what it counts for: its output's class and seconds.
    for (const job of jobs)
      expect(job.usage, job.jobId).toEqual({
        resolutionClass: job.templateId === small ? 'LD' : 'SD',
        seconds: job.result.duration,
      });
    const months = jobs.map(month).sort();
    const res = await call('GET', `/api/dynamic-image/usage?from=${months[0]}&to=${months.at(-1)}`);
    expect(res.status, res.text).toBe(200);
    const report = res.json.data as Json;
    expect(report.classes).toEqual(['LD', 'SD', 'HD', '2K', '4K', '8K']);
    const expected = jobs
      .map((job) => ({
        month: month(job),
        templateId: job.templateId,
        templateName: job.templateId === small ? 'usage_small' : 'usage_large',
        workflowId: job.workflowId ?? null,
        workflowName: job.workflowId ? 'usage-client-a' : null,
        outputs: 1,
        encodes: job.encodeJobId ? 0 : 1,
        seconds: job.result.duration,
        secondsByClass: {
          LD: job.templateId === small ? job.result.duration : 0,
          SD: job.templateId === large ? job.result.duration : 0,
          HD: 0,
          '2K': 0,
          '4K': 0,
          '8K': 0,
        },
        outputsByClass: {
          LD: job.templateId === small ? 1 : 0,
          SD: job.templateId === large ? 1 : 0,
          HD: 0,
          '2K': 0,
          '4K': 0,
          '8K': 0,
        },
        bytes: job.result.bytes,
      }))
      .sort((a, b) =>
        `${a.month}${a.templateId}${a.workflowId}`.localeCompare(`${b.month}${b.templateId}${b.workflowId}`),
      );
    const rows = [...report.rows].sort((a: Json, b: Json) =>
      `${a.month}${a.templateId}${a.workflowId}`.localeCompare(`${b.month}${b.templateId}${b.workflowId}`),
    );
    expect(rows).toEqual(expected);
    // The shared encode: an output for each job, one encode.
    expect(report.totals.outputs).toBe(3);
    expect(report.totals.encodes).toBe(2);
    expect(report.totals.bytes).toBe(jobs.reduce((sum, j) => sum + j.result.bytes, 0));
    expect(report.totals.seconds).toBeCloseTo(
      jobs.reduce((sum, j) => sum + j.result.duration, 0),
      3,
    );
    // The durations are the outputs' own: about the windows' 1 s and 2 s.
    expect(report.totals.secondsByClass.LD).toBeCloseTo(2, 0);
    expect(report.totals.secondsByClass.SD).toBeCloseTo(2, 0);
  });

  it('leaves out months outside the range, and the admin API answers the same', async () => {
    const empty = await call('GET', '/api/dynamic-image/usage?from=2001-01&to=2001-12');
    expect(empty.status, empty.text).toBe(200);
    expect(empty.json.data.rows).toEqual([]);
    expect(empty.json.data.totals.outputs).toBe(0);
    const m = month(jobs[0] as Json);
    const api = await call('GET', `/api/dynamic-image/usage?from=${m}&to=${m}`);
    const admin = await call('GET', `/dynamic-image/usage?from=${m}&to=${m}`, undefined, adminToken);
    expect(admin.status, admin.text).toBe(200);
    expect(admin.json).toEqual(api.json);
    const gql = await fetch(`${cms.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ dynamicImageUsage(from: "${m}", to: "${m}") }` }),
    });
    const answer = (await gql.json()) as Json;
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(answer.data.dynamicImageUsage).toEqual(api.json.data);
  });

  it('refuses a wrong range or format, and is closed without a token', async () => {
    for (const [query, code] of [
      ['from=2026-13', 'InvalidParameter.From'],
      ['from=2026-05&to=2026-04', 'InvalidParameter.From'],
      ['to[$gt]=2026-01', 'InvalidParameter.To'],
      ['format=xml', 'InvalidParameter.Format'],
    ]) {
      const res = await call('GET', `/api/dynamic-image/usage?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.json.error.code, query).toBe(code);
    }
    const anonymous = await fetch(`${cms.url}/api/dynamic-image/usage`);
    expect([401, 403]).toContain(anonymous.status);
  });

  it('exports the same rows as CSV', async () => {
    const m = month(jobs[0] as Json);
    const json = (await call('GET', `/api/dynamic-image/usage?from=${m}&to=${m}`)).json.data as Json;
    const csv = await call('GET', `/api/dynamic-image/usage?from=${m}&to=${m}&format=csv`);
    expect(csv.status, csv.text).toBe(200);
    expect(csv.type).toMatch(/^text\/csv/);
    expect(csv.disposition).toContain(`usage-${m}-${m}.csv`);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'month,templateId,templateName,workflowId,workflowName,outputs,encodes,seconds,secondsLD,secondsSD,secondsHD,seconds2K,seconds4K,seconds8K,bytes',
    );
    expect(lines.slice(1)).toEqual(
      json.rows.map((r: Json) =>
        [
          r.month,
          r.templateId,
          r.templateName,
          r.workflowId ?? '',
          r.workflowName ?? '',
          r.outputs,
          r.encodes,
          r.seconds,
          ...json.classes.map((c: string) => r.secondsByClass[c]),
          r.bytes,
        ].join(','),
      ),
    );
  });
});
