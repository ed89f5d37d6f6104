// What an editor meets through the content API of a real Strapi with its embedded worker: a workflow run
// by its name (as upload and the settings take it), and dynamic image URLs a reader elsewhere can fetch.
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
let videoId: number;
let workflowId: string;
let templateId: string;

async function call(method: string, path: string, body?: unknown, token = apiToken) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined && !(body instanceof FormData)) headers['content-type'] = 'application/json';
  const response = await fetch(`${cms.url}${path}`, {
    method,
    headers,
    body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as Json };
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

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-editor-'));
  const video = await generateSample(resolveFfmpegBinaries(), 'landscape', dir, 3);
  database = await startTestDatabase();
  // No default workflow and no auto-thumbnail rule: the only jobs are the ones these tests start.
  cms = await startCms(database.url, { DYNAMIC_IMAGE_AUTO_THUMBNAIL: '[]' });
  ({ apiToken, adminToken } = await bootstrapAccess(cms.url));
  const form = new FormData();
  form.append('files', new Blob([await readFile(video)], { type: 'video/mp4' }), 'editor.mp4');
  const upload = await call('POST', '/api/upload', form);
  expect(upload.status, JSON.stringify(upload.json)).toBe(201);
  videoId = upload.json[0].id;
  const template = await call('POST', '/api/dynamic-image/templates', {
    name: 'editor_gif',
    format: 'gif',
    fps: 5,
    width: 160,
    captureMethod: 'byDuration',
    duration: 1,
    setAsDefaultThumbnail: true,
  });
  expect(template.status, JSON.stringify(template.json)).toBe(201);
  templateId = template.json.data.templateId;
  const workflow = await call('POST', '/api/dynamic-image/workflows', {
    name: 'editor-teaser',
    nodes: [{ templateId }],
  });
  expect(workflow.status, JSON.stringify(workflow.json)).toBe(201);
  workflowId = workflow.json.data.workflowId;
});

afterAll(async () => {
  await cms?.stop();
  await database?.stop();
});

describe('the content API as an editor meets it', () => {
  it('answers with absolute dynamic image URLs that fetch, as coverUrl and the webhook’s FileURL', async () => {
    const job = await call('POST', '/api/dynamic-image/jobs', { videoId, templateId });
    expect(job.status, JSON.stringify(job.json)).toBe(201);
    expect((await waitForJob(job.json.data.jobId)).state).toBe('success');
    const images = (await call('GET', `/api/dynamic-image/videos/${videoId}/dynamic-images`)).json
      .data as Json[];
    expect(images).toHaveLength(1);
    const url = images[0]?.url as string;
    expect(url).toMatch(/^https?:\/\//);
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/gif');

    const info = (await call('GET', `/api/dynamic-image/videos/${videoId}`)).json.data as Json;
    expect(info.dynamicImages[0].url).toBe(url);
    expect(info.coverUrl).toBe(url);

    const gql = await fetch(`${cms.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query ($id: ID!) { dynamicImages(videoId: $id) { url } }',
        variables: { id: String(videoId) },
      }),
    });
    expect(((await gql.json()) as Json).data.dynamicImages).toEqual([{ url }]);
  });

  it('runs a workflow named by its name, as upload and the settings take it', async () => {
    const run = await call('POST', '/api/dynamic-image/workflows/editor-teaser/jobs', {
      videoId,
      force: true,
    });
    expect(run.status, JSON.stringify(run.json)).toBe(201);
    expect(run.json.data).toMatchObject({ workflowId, videoId, jobs: [{ workflowId, origin: 'workflow' }] });
    expect((await waitForJob(run.json.data.jobs[0].jobId)).state).toBe('success');

    const unknown = await call('POST', '/api/dynamic-image/workflows/no-such-workflow/jobs', { videoId });
    expect(unknown).toMatchObject({
      status: 404,
      json: { error: { status: 404, code: 'InvalidWorkflow.NotFound' } },
    });
    expect(unknown.json.error.message).toContain('no-such-workflow');
  });

  it('records a one-off made through the admin panel’s route as made in the admin, the API’s as api', async () => {
    // The route the "Make dynamic image" modal posts to (admin JWT), and the content API's (API token).
    const admin = await call('POST', '/dynamic-image/jobs', { videoId, templateId, force: true }, adminToken);
    expect(admin.status, JSON.stringify(admin.json)).toBe(201);
    const api = await call('POST', '/api/dynamic-image/jobs', { videoId, templateId, force: true });
    expect(api.status, JSON.stringify(api.json)).toBe(201);
    expect([admin.json.data.origin, api.json.data.origin]).toEqual(['admin', 'api']);
    const listed = await call('GET', `/api/dynamic-image/jobs/${admin.json.data.jobId}`);
    expect(listed.json.data.origin).toBe('admin');
    await Promise.all([waitForJob(admin.json.data.jobId), waitForJob(api.json.data.jobId)]);
  });
});
