// What an editor meets through the content API of a real Strapi with its embedded worker: a workflow run
// by its name (as upload and the settings take it), dynamic image URLs a reader elsewhere can fetch, and
// the playback fields (plays, speed, boomerang, orientation) and the encoder controls (WebP quality and
// lossless, GIF colours and dither) and the size budget (maxBytes) in a template and in overrideParams, and
// an automatic highlight (start "auto") recorded in the job and the event.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateSample, inspectAnimation, resolveFfmpegBinaries } from '@dynamic-image/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gifFrameColors } from '../../packages/worker/test/support/gif-colors.js';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import { waitUntil } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

type Json = Record<string, any>;

let database: TestDatabase;
let cms: RunningCms;
let apiToken: string;
let adminToken: string;
let videoId: number;
let workflowId: string;
let templateId: string;
let portraitId: number;
let hooks: WebhookReceiver | undefined;

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
  const portrait = await generateSample(resolveFfmpegBinaries(), 'portrait-rotated', dir, 2);
  database = await startTestDatabase();
  // No default workflow and no auto-thumbnail rule: the only jobs are the ones these tests start.
  cms = await startCms(database.url, { DYNAMIC_IMAGE_AUTO_THUMBNAIL: '[]' });
  ({ apiToken, adminToken } = await bootstrapAccess(cms.url));
  const form = new FormData();
  form.append('files', new Blob([await readFile(video)], { type: 'video/mp4' }), 'editor.mp4');
  const upload = await call('POST', '/api/upload', form);
  expect(upload.status, JSON.stringify(upload.json)).toBe(201);
  videoId = upload.json[0].id;
  const phone = new FormData();
  phone.append('files', new Blob([await readFile(portrait)], { type: 'video/mp4' }), 'phone.mp4');
  const phoneUpload = await call('POST', '/api/upload', phone);
  expect(phoneUpload.status, JSON.stringify(phoneUpload.json)).toBe(201);
  portraitId = phoneUpload.json[0].id;
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
  await hooks?.close();
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

  it('takes the playback fields in a template and in overrideParams, and the result reports them', async () => {
    // A template saved without them reads back without them.
    const old = (await call('GET', `/api/dynamic-image/templates/${templateId}`)).json.data as Json;
    for (const field of ['loopCount', 'speed', 'boomerang', 'sizeMode'])
      expect(old).not.toHaveProperty(field);

    const fields = { loopCount: 3, speed: 2, boomerang: true, sizeMode: 'longSide' };
    const created = await call('POST', '/api/dynamic-image/templates', {
      name: 'editor_phone_boomerang',
      format: 'webp',
      fps: 5,
      width: 160,
      captureMethod: 'byDuration',
      duration: 1,
      ...fields,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const phoneTemplate = created.json.data.templateId as string;
    expect((await call('GET', `/api/dynamic-image/templates/${phoneTemplate}`)).json.data).toMatchObject(
      fields,
    );

    const wrong = await call('POST', '/api/dynamic-image/templates', {
      name: 'editor_wrong_speed',
      format: 'gif',
      fps: 5,
      captureMethod: 'byDuration',
      duration: 1,
      speed: 10,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.details.issues).toMatchObject([{ field: 'speed', messageId: 'speed' }]);
    const wrongOverride = await call('POST', '/api/dynamic-image/jobs', {
      videoId: portraitId,
      templateId: phoneTemplate,
      overrideParams: { loopCount: -1 },
    });
    expect(wrongOverride.status).toBe(400);
    expect(wrongOverride.json.error.details.issues).toMatchObject([{ field: 'overrideParams.loopCount' }]);

    // The template as saved, and overridden: one play, half speed, GIF, as set (no boomerang).
    const asSaved = await call('POST', '/api/dynamic-image/jobs', {
      videoId: portraitId,
      templateId: phoneTemplate,
    });
    const overridden = await call('POST', '/api/dynamic-image/jobs', {
      videoId: portraitId,
      templateId: phoneTemplate,
      overrideParams: { format: 'gif', loopCount: 1, speed: 0.5, boomerang: false },
    });
    expect([asSaved.status, overridden.status], JSON.stringify([asSaved.json, overridden.json])).toEqual([
      201, 201,
    ]);
    const [saved, over] = await Promise.all([
      waitForJob(asSaved.json.data.jobId),
      waitForJob(overridden.json.data.jobId),
    ]);
    // 5 frames over the 1 s window: a boomerang of 8 at 10 fps; the portrait video stays portrait.
    expect(saved).toMatchObject({ state: 'success' });
    expect(saved.result).toMatchObject({
      format: 'webp',
      width: 90,
      height: 160,
      frameCount: 8,
      fps: 10,
      duration: 0.8,
      loop: 3,
      speed: 2,
      boomerang: true,
    });
    expect(over).toMatchObject({ state: 'success' });
    expect(over.result).toMatchObject({
      format: 'gif',
      width: 90,
      height: 160,
      frameCount: 5,
      fps: 2.5,
      duration: 2,
      loop: 1,
      speed: 0.5,
      boomerang: false,
    });

    // The stored files say the same: WebP's ANIM counts plays, one GIF play has no loop block.
    const images = (await call('GET', `/api/dynamic-image/videos/${portraitId}/dynamic-images`)).json
      .data as Json[];
    const fileOf = async (jobId: string) => {
      const image = images.find((i) => i.jobId === jobId) as Json;
      return inspectAnimation(new Uint8Array(await (await fetch(image.url as string)).arrayBuffer()));
    };
    expect(await fileOf(saved.jobId)).toMatchObject({
      format: 'webp',
      width: 90,
      height: 160,
      frameCount: 8,
      loopCount: 3,
    });
    expect(await fileOf(over.jobId)).toMatchObject({
      format: 'gif',
      width: 90,
      height: 160,
      frameCount: 5,
      loopCount: null,
      durationMs: 2000,
    });
  });

  it('takes the encoder controls in a template and in overrideParams; the result and the file say what was used', async () => {
    const old = (await call('GET', `/api/dynamic-image/templates/${templateId}`)).json.data as Json;
    for (const field of ['webpQuality', 'webpLossless', 'gifColors', 'gifDither'])
      expect(old).not.toHaveProperty(field);

    const base = { format: 'webp', fps: 5, width: 160, captureMethod: 'byDuration', duration: 1 };
    const created = await call('POST', '/api/dynamic-image/templates', {
      name: 'editor_webp_q40',
      ...base,
      webpQuality: 40,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const webpTemplate = created.json.data.templateId as string;
    expect((await call('GET', `/api/dynamic-image/templates/${webpTemplate}`)).json.data).toMatchObject({
      webpQuality: 40,
    });

    // Refused with a coded reason: a GIF field on a WebP template, a range, lossless over a quality.
    const wrong = await call('POST', '/api/dynamic-image/templates', {
      name: 'editor_wrong_colors',
      ...base,
      gifColors: 16,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.details.issues).toMatchObject([
      { field: 'gifColors', rule: 'notAllowed', messageId: 'formatOnly' },
    ]);
    for (const [overrideParams, field, messageId] of [
      [{ format: 'gif', gifColors: 300 }, 'overrideParams.gifColors', 'integerBetween'],
      [{ webpLossless: true }, 'webpQuality', 'losslessQuality'],
    ] as const) {
      const refused = await call('POST', '/api/dynamic-image/jobs', {
        videoId,
        templateId: webpTemplate,
        overrideParams,
      });
      expect(refused.status, JSON.stringify(refused.json)).toBe(400);
      expect(refused.json.error.details.issues).toMatchObject([{ field, messageId }]);
    }

    // As saved (WebP at q40), and overridden to a GIF of 8 colours without dither (the WebP field dropped).
    const asSaved = await call('POST', '/api/dynamic-image/jobs', { videoId, templateId: webpTemplate });
    const overridden = await call('POST', '/api/dynamic-image/jobs', {
      videoId,
      templateId: webpTemplate,
      overrideParams: { format: 'gif', gifColors: 8, gifDither: 0 },
    });
    expect([asSaved.status, overridden.status], JSON.stringify([asSaved.json, overridden.json])).toEqual([
      201, 201,
    ]);
    const [saved, over] = await Promise.all([
      waitForJob(asSaved.json.data.jobId),
      waitForJob(overridden.json.data.jobId),
    ]);
    expect(saved).toMatchObject({ state: 'success', result: { format: 'webp' } });
    expect(saved.result.encoder).toMatchObject({ backend: 'ffmpeg', settings: { quality: 40 } });
    expect(over).toMatchObject({ state: 'success', result: { format: 'gif' } });
    expect(over.result.encoder).toMatchObject({ backend: 'ffmpeg', settings: { colors: 8, dither: 'none' } });
    const images = (await call('GET', `/api/dynamic-image/videos/${videoId}/dynamic-images`)).json
      .data as Json[];
    const image = images.find((i) => i.jobId === over.jobId) as Json;
    const gif = new Uint8Array(await (await fetch(image.url as string)).arrayBuffer());
    const colors = gifFrameColors(gif).map((used) => used.size);
    expect(colors.length).toBe(5);
    expect(Math.max(...colors)).toBeLessThanOrEqual(8);
  });

  it('takes a size budget (maxBytes) in a template and in overrideParams; the result reports what was lowered', async () => {
    const base = { format: 'webp', fps: 10, width: 320, captureMethod: 'byDuration', duration: 1 };
    const created = await call('POST', '/api/dynamic-image/templates', {
      name: 'editor_webp_budget',
      ...base,
      maxBytes: 512 * 1024,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const budgetTemplate = created.json.data.templateId as string;
    expect((await call('GET', `/api/dynamic-image/templates/${budgetTemplate}`)).json.data).toMatchObject({
      maxBytes: 512 * 1024,
    });
    const wrong = await call('POST', '/api/dynamic-image/templates', {
      name: 'editor_wrong_budget',
      ...base,
      maxBytes: 100,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.details.issues).toMatchObject([
      { field: 'maxBytes', messageId: 'integerBetween' },
    ]);
    const refused = await call('POST', '/api/dynamic-image/jobs', {
      videoId,
      templateId: budgetTemplate,
      overrideParams: { maxBytes: '20KB' },
    });
    expect(refused.status, JSON.stringify(refused.json)).toBe(400);
    expect(refused.json.error.details.issues).toMatchObject([{ field: 'overrideParams.maxBytes' }]);

    // As saved it fits at once; overridden to 60 % of that, it is made again with less, and fits.
    const asSaved = await call('POST', '/api/dynamic-image/jobs', { videoId, templateId: budgetTemplate });
    expect(asSaved.status, JSON.stringify(asSaved.json)).toBe(201);
    const saved = await waitForJob(asSaved.json.data.jobId);
    expect(saved).toMatchObject({ state: 'success' });
    expect(saved.result.encoder.budget).toEqual({ maxBytes: 512 * 1024, attempts: 1, lowered: [] });
    const maxBytes = Math.max(1024, Math.floor(saved.result.bytes * 0.6));
    const overridden = await call('POST', '/api/dynamic-image/jobs', {
      videoId,
      templateId: budgetTemplate,
      overrideParams: { maxBytes },
    });
    expect(overridden.status, JSON.stringify(overridden.json)).toBe(201);
    const over = await waitForJob(overridden.json.data.jobId);
    expect(over, JSON.stringify(over)).toMatchObject({ state: 'success' });
    expect(over.result.bytes).toBeLessThanOrEqual(maxBytes);
    expect(over.result.encoder.budget).toMatchObject({ maxBytes });
    expect(over.result.encoder.budget.attempts).toBeGreaterThan(1);
    expect(over.result.encoder.budget.lowered[0]).toBe('quality');
    const images = (await call('GET', `/api/dynamic-image/videos/${videoId}/dynamic-images`)).json
      .data as Json[];
    const image = images.find((i) => i.jobId === over.jobId) as Json;
    const file = new Uint8Array(await (await fetch(image.url as string)).arrayBuffer());
    expect(file.length).toBeLessThanOrEqual(maxBytes);
    expect(inspectAnimation(file)).toMatchObject({ width: over.result.width, height: over.result.height });

    // At 160×90 and 5 fps, size and fps are at their floors: 1 KB is out of reach once quality is too.
    const beyond = await call('POST', '/api/dynamic-image/jobs', {
      videoId,
      templateId: budgetTemplate,
      overrideParams: { maxBytes: 1024, width: 160, fps: 5 },
    });
    expect(beyond.status, JSON.stringify(beyond.json)).toBe(201);
    expect(await waitForJob(beyond.json.data.jobId)).toMatchObject({
      state: 'failed',
      errorCode: 'BUDGET_UNREACHABLE',
      errorMessage: expect.stringMatching(
        /^No output fits maxBytes 1024: the smallest of \d encodes was \d+ bytes .*quality 40/,
      ),
    });
  });
});

describe('start "auto"', () => {
  it('lands the window on the one active stretch, and the job and the event say so', async () => {
    // Still for 3 s, the Game of Life for 1.5 s, still for 3 s.
    const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-highlight-'));
    const file = join(dir, 'highlight.mp4');
    const size = 'size=320x180:rate=24';
    const still = `color=c=0x3060a0:${size}:duration=3,setsar=1`;
    const life = `life=${size}:mold=10:ratio=0.5:seed=42:life_color=0xf0e040,trim=duration=1.5,format=yuv420p,setsar=1`;
    await promisify(execFile)(resolveFfmpegBinaries().ffmpeg.path, [
      ...[
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `${still}[a];${life}[b];${still}[c];[a][b][c]concat=n=3:v=1:a=0`,
      ],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file],
    ]);
    const form = new FormData();
    form.append('files', new Blob([await readFile(file)], { type: 'video/mp4' }), 'highlight.mp4');
    const upload = await call('POST', '/api/upload', form);
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    const highlightVideo = upload.json[0].id as number;
    hooks = await startWebhookReceiver();
    const webhook = await call(
      'POST',
      '/admin/webhooks',
      { name: 'highlight', url: hooks.url, headers: {}, events: ['dynamic-image.complete'] },
      adminToken,
    );
    expect(webhook.status, JSON.stringify(webhook.json)).toBe(201);

    const fields = { format: 'gif', fps: 5, width: 160, captureMethod: 'byDuration', duration: 2 };
    const created = await call('POST', '/api/dynamic-image/templates', {
      name: 'editor_highlight',
      ...fields,
      start: 'auto',
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const highlight = created.json.data.templateId as string;
    expect((await call('GET', `/api/dynamic-image/templates/${highlight}`)).json.data.start).toBe('auto');
    // GraphQL's start is a float: an automatic one reads 0, with startAuto.
    const gql = await fetch(`${cms.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query ($id: String!) { dynamicImageTemplate(templateId: $id) { start startAuto } }',
        variables: { id: highlight },
      }),
    });
    expect(((await gql.json()) as Json).data).toEqual({
      dynamicImageTemplate: { start: 0, startAuto: true },
    });
    // Trimming the end has no room for an automatic start.
    const trim = await call('POST', '/api/dynamic-image/templates', {
      ...fields,
      name: 'editor_highlight_trim',
      captureMethod: 'trimBeginEnd',
      duration: undefined,
      trimEnd: 1,
      start: 'auto',
    });
    expect(trim.status).toBe(400);
    expect(trim.json.error.details.issues).toMatchObject([{ field: 'start', messageId: 'autoStart' }]);

    // The template as saved, and a fixed-start template told to choose by overrideParams.
    const asSaved = await call('POST', '/api/dynamic-image/jobs', {
      videoId: highlightVideo,
      templateId: highlight,
    });
    const overridden = await call('POST', '/api/dynamic-image/jobs', {
      videoId: highlightVideo,
      templateId,
      overrideParams: { start: 'auto', duration: 2 },
    });
    expect([asSaved.status, overridden.status], JSON.stringify([asSaved.json, overridden.json])).toEqual([
      201, 201,
    ]);
    for (const sent of [asSaved, overridden]) {
      const job = await waitForJob(sent.json.data.jobId);
      expect(job.state, JSON.stringify(job)).toBe('success');
      const window = job.result.window as Json;
      expect(window).toMatchObject({ duration: 2, auto: true });
      // The active stretch, 3–4.5 s, lies inside the window.
      expect(window.start).toBeLessThanOrEqual(3);
      expect(window.start + window.duration).toBeGreaterThanOrEqual(4.5);
      const event = await hooks.waitFor((e) => (e as Json).JobId === job.jobId);
      expect(event).toMatchObject({
        Status: 'success',
        WindowStart: window.start,
        WindowDuration: 2,
        WindowAuto: true,
      });
    }
  });
});
