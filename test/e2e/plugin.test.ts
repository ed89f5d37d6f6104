import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUEUE_NAMES, queueOptions } from '@dynamic-image/core';
import {
  createBoss,
  generateSample,
  inspectAnimation,
  resolveFfmpegBinaries,
  signedHeaders,
} from '@dynamic-image/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The worker's helper: DATABASE_URL when set, else an embedded Postgres in a temporary folder.
import { resolveSource, type SourcePolicy } from '../../packages/worker/src/source.js';
import { openSource } from '../../packages/worker/src/source-gateway.js';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { bootstrapAccess, cmsDir, type RunningCms, startCms } from '../support/cms.js';
import { remux } from '../support/fleet.js';
import { waitUntil } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

let database: TestDatabase;
let cms: RunningCms;
let hooks: WebhookReceiver;
let adminToken: string;
let apiToken: string;
const media: Record<string, string> = {};
/** The CMS's TMPDIR, four folders below a fresh one: a file written outside it shows up in those. */
let tmpRoot: string;
let cmsTmp: string;

type Json = Record<string, any>;

async function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; form?: FormData } = {},
) {
  const token = options.token === undefined ? apiToken : options.token;
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${cms.url}${path}`, {
    method,
    headers,
    body: options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as Json };
}

function waitForJob(jobId: string, states = ['success', 'failed']): Promise<Json> {
  return waitUntil(
    `job ${jobId} to reach ${states.join(' or ')}`,
    async () => {
      const { json } = await call('GET', `/api/dynamic-image/jobs/${jobId}`);
      return states.includes(json.data?.state) ? (json.data as Json) : undefined;
    },
    { detail: () => cms.log().slice(-3000) },
  );
}

/** The jobs of a video, once there are `count` of them. */
function jobsOfVideo(fileId: number, count: number): Promise<Json[]> {
  return waitUntil(
    `${count} jobs of video ${fileId}`,
    async () => {
      const listed = (await call('GET', `/api/dynamic-image/jobs?videoId=${fileId}`)).json.data as Json[];
      return listed.length >= count ? listed : undefined;
    },
    { timeout: 30_000, interval: 300 },
  );
}

function videoForm(path: string, name: string, fields: Record<string, string>): Promise<FormData> {
  return readFile(path).then((bytes) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    form.append(
      'files',
      new Blob([bytes], { type: name.endsWith('.m4a') ? 'audio/mp4' : 'video/mp4' }),
      name,
    );
    return form;
  });
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-e2e-'));
  const binaries = resolveFfmpegBinaries();
  media.landscape = await generateSample(binaries, 'landscape', dir, 6);
  media.portrait = await generateSample(binaries, 'portrait-rotated', dir, 6);
  // Other content than the landscape clip: the same bytes are never processed twice.
  // (each in a folder of its own: a sample's file is named after its kind).
  const landscape = async (seconds: number) =>
    generateSample(binaries, 'landscape', await mkdtemp(join(tmpdir(), 'dynamic-image-e2e-')), seconds);
  media.replacement = await landscape(5);
  media.plain = await landscape(7);
  media.twin = await landscape(8);
  media.other = await landscape(9);
  media.named = await landscape(10);
  media.octet = await landscape(11);
  // The same clip as QuickTime, a type the app's upload security denies (UPLOAD_DENIED_TYPES).
  media.quicktime = await remux(media.plain, join(dir, 'clip.mov'), 'mov');
  tmpRoot = await mkdtemp(join(tmpdir(), 'dynamic-image-tmproot-'));
  cmsTmp = join(tmpRoot, 'a', 'b', 'c', 'd', 'tmp');
  await mkdir(cmsTmp, { recursive: true });
  database = await startTestDatabase();
  // The default workflow is named before it exists; it applies once the test creates it.
  // Without the example auto-thumbnail rule, whose template would be in the template list.
  cms = await startCms(database.url, {
    DYNAMIC_IMAGE_DEFAULT_WORKFLOW: 'social',
    DYNAMIC_IMAGE_AUTO_THUMBNAIL: '[]',
    // A Media Library whose files have absolute URLs on another host (a CDN; here another loopback
    // address). Entries name ports too; both servers pick theirs when they start.
    DYNAMIC_IMAGE_ALLOWED_HOSTS: '127.0.0.1:*,127.0.0.2:*',
    TMPDIR: cmsTmp,
    UPLOAD_DENIED_TYPES: 'video/quicktime',
  });
  ({ adminToken, apiToken } = await bootstrapAccess(cms.url));
  hooks = await startWebhookReceiver();
  const webhook = await call('POST', '/admin/webhooks', {
    token: adminToken,
    body: { name: 'e2e', url: hooks.url, headers: {}, events: ['dynamic-image.complete'] },
  });
  expect(webhook.status, JSON.stringify(webhook.json)).toBe(201);
});

afterAll(async () => {
  await cms?.stop();
  await hooks?.close();
  await database?.stop();
});

describe('the dynamic-image plugin in a real Strapi, with the embedded worker', () => {
  let gifTemplate: Json;
  let webpTemplate: Json;
  let workflow: Json;

  it('refuses an invalid template with a 400 that names the field', async () => {
    const { status, json } = await call('POST', '/api/dynamic-image/templates', {
      body: { name: 'ok-name', format: 'gif', fps: 61, captureMethod: 'byDuration', duration: 2, trimEnd: 1 },
    });
    expect(status).toBe(400);
    expect(json.error.code).toBe('InvalidParameter.Fps');
    expect(json.error.message).toContain('fps');
    expect(json.error.details.issues.map((i: Json) => i.field)).toEqual(['fps', 'trimEnd']);
    expect((await call('GET', '/api/dynamic-image/templates')).json.data).toEqual([]);
  });

  it('creates, reads and updates templates', async () => {
    const created = await call('POST', '/api/dynamic-image/templates', {
      body: {
        name: 'social-gif',
        format: 'gif',
        fps: 10,
        width: 320,
        captureMethod: 'byDuration',
        start: 1,
        duration: 2,
        setAsDefaultThumbnail: true,
      },
    });
    expect(created.status).toBe(201);
    gifTemplate = created.json.data;
    expect(gifTemplate.templateId).toMatch(/^[0-9a-f]{32}$/);
    webpTemplate = (
      await call('POST', '/api/dynamic-image/templates', {
        body: {
          name: 'highlight-webp',
          format: 'webp',
          fps: 12,
          height: 240,
          captureMethod: 'trimBeginEnd',
          start: '00:00:02',
          trimEnd: 2,
        },
      })
    ).json.data;
    expect(webpTemplate).toMatchObject({ start: 2, trimEnd: 2, captureMethod: 'trimBeginEnd' });
    const updated = await call('PUT', `/api/dynamic-image/templates/${webpTemplate.templateId}`, {
      body: { fps: 15 },
    });
    expect(updated.json.data).toMatchObject({ fps: 15, height: 240 });
    const bad = await call('PUT', `/api/dynamic-image/templates/${webpTemplate.templateId}`, {
      body: { width: 5000 },
    });
    expect(bad).toMatchObject({ status: 400, json: { error: { code: 'InvalidParameter.Width' } } });
    expect((await call('GET', '/api/dynamic-image/templates/nope')).json.error.code).toBe(
      'InvalidTemplate.NotFound',
    );
  });

  it('creates a workflow, and a template in use cannot be deleted', async () => {
    const created = await call('POST', '/api/dynamic-image/workflows', {
      body: {
        name: 'social',
        nodes: [{ templateId: gifTemplate.templateId }, { templateId: webpTemplate.templateId }],
      },
    });
    expect(created.status).toBe(201);
    workflow = created.json.data;
    const missing = await call('POST', '/api/dynamic-image/workflows', {
      body: { name: 'bad', nodes: [{ templateId: 'missing' }] },
    });
    expect(missing).toMatchObject({ status: 404, json: { error: { code: 'InvalidTemplate.NotFound' } } });
    // A workflow's refusal names its fields the way a template's does: field, rule, value, message id and params.
    const empty = await call('POST', '/api/dynamic-image/workflows', {
      body: { name: 'empty', nodes: [], enabled: 'yes' },
    });
    expect(empty.status).toBe(400);
    expect(empty.json.error.code).toBe('InvalidParameter.Nodes');
    expect(empty.json.error.message).toBe(
      'nodes must be a list of 1 to 20 template nodes; got []; enabled must be a boolean; got "yes"',
    );
    expect(empty.json.error.details.issues).toEqual([
      {
        field: 'nodes',
        rule: 'range',
        value: [],
        messageId: 'nodeList',
        params: { min: 1, max: 20 },
        message: 'nodes must be a list of 1 to 20 template nodes; got []',
      },
      {
        field: 'enabled',
        rule: 'type',
        value: 'yes',
        messageId: 'boolean',
        params: {},
        message: 'enabled must be a boolean; got "yes"',
      },
    ]);
    const unbound = await call('POST', '/api/dynamic-image/workflows', {
      body: { name: 'nowhere', nodes: [{ templateId: gifTemplate.templateId }], folders: [999] },
    });
    expect(unbound).toMatchObject({
      status: 400,
      json: {
        error: {
          code: 'InvalidParameter.Folders',
          message: 'folders names folder 999, which does not exist; got [999]',
          details: {
            issues: [{ field: 'folders', rule: 'exists', messageId: 'folderNotFound', params: { id: 999 } }],
          },
        },
      },
    });
    // The refusal names what holds the template by name (ids are in the details, for programs).
    const del = await call('DELETE', `/api/dynamic-image/templates/${gifTemplate.templateId}`);
    expect(del).toMatchObject({
      status: 400,
      json: {
        error: {
          code: 'Forbidden.IllegalStatus',
          message: 'Template social-gif is used by workflow social; remove it from there first',
          details: { workflows: [{ workflowId: workflow.workflowId, name: 'social' }] },
        },
      },
    });
  });

  let videoId: number;
  let jobs: Json[];

  it('uploads a video with a workflow, runs its jobs and sends DynamicImageComplete', async () => {
    const upload = await call('POST', '/api/dynamic-image/upload', {
      form: await videoForm(media.landscape as string, 'landscape.mp4', { workflowId: workflow.workflowId }),
    });
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    videoId = upload.json.data[0].video.videoId;
    jobs = upload.json.data[0].jobs;
    expect(jobs).toHaveLength(2);
    const done = await Promise.all(jobs.map((j) => waitForJob(j.jobId)));
    expect(done.map((j) => j.state)).toEqual(['success', 'success']);
    expect(done.map((j) => j.progress)).toEqual([100, 100]);

    const gifJob = done[0] as Json;
    const event = await hooks.waitFor((e) => (e as Json).JobId === gifJob.jobId);
    expect(event).toMatchObject({
      event: 'dynamic-image.complete',
      EventType: 'DynamicImageComplete',
      VideoId: videoId,
      JobId: gifJob.jobId,
      Status: 'success',
      DynamicImageId: gifJob.dynamicImageId,
      Width: 320,
      Height: 180,
      Fps: 10,
      Format: 'gif',
      Duration: 2,
      // The worker says what made the file: a template without a profile is balanced, the graph, then
      // gifsicle's lossless rewrite (npm test installs gifsicle beside ffmpeg).
      Encoder: {
        backend: 'ffmpeg',
        profile: 'balanced',
        settings: {
          statsMode: 'diff',
          optimize: true,
          optimizer: expect.stringMatching(/^gifsicle -O2: \d+ → \d+ bytes$/),
        },
      },
    });
    expect(gifJob.result).toMatchObject({ encoder: { backend: 'ffmpeg', profile: 'balanced' } });
    expect(Date.parse(event.EventTime as string)).toBeGreaterThan(Date.now() - 120_000);
    expect(event.FileSize).toBeGreaterThan(1000);

    // The file behind FileURL is the animation the event describes.
    const file = await fetch(event.FileURL as string);
    expect(file.status).toBe(200);
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect(bytes.length).toBe(event.FileSize);
    expect(inspectAnimation(bytes)).toMatchObject({
      format: 'gif',
      width: 320,
      height: 180,
      frameCount: 20,
      loopCount: 0,
    });

    const webpEvent = await hooks.waitFor((e) => (e as Json).JobId === (done[1] as Json).jobId);
    // trimBeginEnd: 2 s from the start, 2 s off the end of a 6 s clip; 240 high keeps 16:9.
    expect(webpEvent).toMatchObject({
      Status: 'success',
      Format: 'webp',
      Width: 426,
      Height: 240,
      Duration: 2,
    });
  });

  it("keeps every frame through Strapi's own image processing", async () => {
    const list = (await call('GET', `/api/dynamic-image/videos/${videoId}/dynamic-images`)).json
      .data as Json[];
    for (const image of list) {
      const file = await call('GET', `/api/upload/files/${image.fileId}`);
      const original = inspectAnimation(
        new Uint8Array(await (await fetch(`${cms.url}${file.json.url}`)).arrayBuffer()),
      );
      expect(original.frameCount).toBeGreaterThan(1);
      // Responsive formats, when Strapi makes them, are animated with the same frames.
      for (const format of Object.values((file.json.formats ?? {}) as Record<string, Json>)) {
        const bytes = new Uint8Array(await (await fetch(`${cms.url}${format.url}`)).arrayBuffer());
        expect(inspectAnimation(bytes).frameCount, `${format.url}`).toBe(original.frameCount);
      }
    }
  });

  it('serves each result byte for byte as the worker made it (GIF and WebP)', async () => {
    const done = await Promise.all(jobs.map((j) => waitForJob(j.jobId)));
    const images = (await call('GET', `/api/dynamic-image/videos/${videoId}/dynamic-images`)).json
      .data as Json[];
    expect(done.map((j) => j.result.format).sort()).toEqual(['gif', 'webp']);
    for (const job of done) {
      const image = images.find((i) => i.jobId === job.jobId) as Json;
      const file = await call('GET', `/api/upload/files/${image.fileId}`);
      const served = Buffer.from(await (await fetch(`${cms.url}${file.json.url}`)).arrayBuffer());
      // Strapi's image pipeline (sharp) re-encoded WebP results: another size and hash.
      expect(served.length, `${job.result.format} size`).toBe(job.result.bytes);
      expect(createHash('sha256').update(served).digest('hex'), job.result.format).toBe(job.result.sha256);
      expect(file.json.mime).toBe(`image/${job.result.format}`);
    }
  });

  it('lists the dynamic images, gives video info with the cover, and deletes', async () => {
    const list = await call('GET', `/api/dynamic-image/videos/${videoId}/dynamic-images`);
    expect(list.json.data).toHaveLength(2);
    const info = await call('GET', `/api/dynamic-image/videos/${videoId}`);
    const gif = list.json.data.find((d: Json) => d.format === 'gif');
    const webp = list.json.data.find((d: Json) => d.format === 'webp');
    // coverUrl is absolute, as the webhook's FileURL is: usable as given by a reader on another host.
    expect(info.json.data).toMatchObject({
      video: { videoId, mime: 'video/mp4' },
      coverUrl: new URL(gif.url, cms.url).toString(),
    });
    const del = await call('DELETE', `/api/dynamic-image/dynamic-images/${gif.dynamicImageId}`);
    expect(del.status).toBe(204);
    // The cover is gone: the video's other dynamic image takes its place.
    const after = (await call('GET', `/api/dynamic-image/videos/${videoId}`)).json.data;
    expect(after.dynamicImages).toEqual([
      expect.objectContaining({ dynamicImageId: webp.dynamicImageId, isCover: true }),
    ]);
    expect(after.coverUrl).toBe(webp.url);
    const listed = (await call('GET', '/dynamic-image/videos?pageSize=100', { token: adminToken })).json.data;
    expect(listed.videos.find((v: Json) => v.videoId === videoId).coverUrl).toBe(after.coverUrl);
    expect((await fetch(gif.url)).status).toBe(404);
  });

  it('submits a job for a video already in the CMS, with override params', async () => {
    const submitted = await call('POST', '/api/dynamic-image/jobs', {
      body: { videoId, templateId: gifTemplate.templateId, overrideParams: { width: 160, fps: 5 } },
    });
    expect(submitted.status).toBe(201);
    const job = await waitForJob(submitted.json.data.jobId);
    expect(job).toMatchObject({ state: 'success', result: { width: 160, height: 90, fps: 5 } });
    // A profile in overrideParams picks the encoder, and the job records which one made the file.
    const quality = await call('POST', '/api/dynamic-image/jobs', {
      body: {
        videoId,
        templateId: gifTemplate.templateId,
        overrideParams: { width: 128, fps: 5, profile: 'quality' },
      },
    });
    expect(quality.status, JSON.stringify(quality.json)).toBe(201);
    expect(await waitForJob(quality.json.data.jobId)).toMatchObject({
      state: 'success',
      overrideParams: { profile: 'quality' },
      result: { width: 128, encoder: { backend: 'libvips', profile: 'quality', settings: { effort: 7 } } },
    });
    const refused = await call('POST', '/api/dynamic-image/jobs', {
      body: { videoId, templateId: gifTemplate.templateId, overrideParams: { profile: 'best' } },
    });
    expect(refused.status).toBe(400);
    // pg-boss expires the job only after its time limit (DYNAMIC_IMAGE_JOB_TIMEOUT_SECONDS, 600) plus a margin.
    const boss = createBoss({ databaseUrl: database.url, schema: 'pgboss' }, 'e2e-expiry');
    await boss.start();
    expect((await boss.getJobById(QUEUE_NAMES.jobs, job.jobId))?.expireInSeconds).toBe(660);
    // Whichever side made the queues (the CMS or its worker), they have core's one set of settings.
    const [dead, jobsQueue] = queueOptions();
    expect(await boss.getQueue(QUEUE_NAMES.deadLetter)).toMatchObject(dead.options);
    expect(await boss.getQueue(QUEUE_NAMES.jobs)).toMatchObject(jobsQueue.options);
    await boss.stop({ graceful: false });
    const again = await call('POST', '/api/dynamic-image/jobs', {
      body: { videoId, templateId: gifTemplate.templateId, overrideParams: { width: 160, fps: 5 } },
    });
    // The same file and the same resolved template are not processed twice.
    expect(again.json.data).toMatchObject({ jobId: job.jobId, created: false });
    // The template sets its image as the cover; a job can say otherwise, and the cover stays where it was.
    const coverBefore = (await call('GET', `/api/dynamic-image/videos/${videoId}`)).json.data.coverUrl;
    expect(coverBefore).toBeTruthy();
    const noCover = await call('POST', '/api/dynamic-image/jobs', {
      body: {
        videoId,
        templateId: gifTemplate.templateId,
        overrideParams: { width: 192, setAsDefaultThumbnail: false },
      },
    });
    expect(noCover.status, JSON.stringify(noCover.json)).toBe(201);
    expect(noCover.json.data.template).toMatchObject({ width: 192, setAsDefaultThumbnail: false });
    const notCover = await waitForJob(noCover.json.data.jobId);
    expect(notCover).toMatchObject({ state: 'success', result: { width: 192 } });
    const images = (await call('GET', `/api/dynamic-image/videos/${videoId}/dynamic-images`)).json
      .data as Json[];
    expect(images.find((i) => i.dynamicImageId === notCover.dynamicImageId)).toMatchObject({
      isCover: false,
    });
    expect((await call('GET', `/api/dynamic-image/videos/${videoId}`)).json.data.coverUrl).toBe(coverBefore);
    const bad = await call('POST', '/api/dynamic-image/jobs', {
      body: { videoId, templateId: gifTemplate.templateId, overrideParams: { fps: 0 } },
    });
    expect(bad).toMatchObject({
      status: 400,
      json: { error: { code: 'InvalidParameter.OverrideParams.Fps' } },
    });
    expect(
      (
        await call('POST', '/api/dynamic-image/jobs', {
          body: { videoId: 99999, templateId: gifTemplate.templateId },
        })
      ).json.error.code,
    ).toBe('InvalidVideo.NotFound');
  });

  it('does not process the same content twice, whatever its file name, unless asked', async () => {
    const first = await call('POST', '/api/dynamic-image/upload', {
      form: await videoForm(media.twin as string, 'twin-a.mp4', { workflowId: workflow.workflowId }),
    });
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    const firstJobs = first.json.data[0].jobs as Json[];
    expect(firstJobs.map((j) => j.created)).toEqual([true, true]);
    await Promise.all(firstJobs.map((j) => waitForJob(j.jobId)));

    // The same bytes under another name (Strapi gives the file another `hash`): another video, with jobs of
    // its own that share the first's encodes (no new work) and are done at once (same-bytes.test.ts).
    const second = await call('POST', '/api/dynamic-image/upload', {
      form: await videoForm(media.twin as string, 'twin-b.mp4', { workflowId: workflow.workflowId }),
    });
    expect(second.status, JSON.stringify(second.json)).toBe(201);
    const twinId = second.json.data[0].video.videoId;
    expect(twinId).not.toBe(first.json.data[0].video.videoId);
    const twinJobs = second.json.data[0].jobs as Json[];
    expect(twinJobs).toMatchObject(
      firstJobs.map((j) => ({ encodeJobId: j.jobId, videoId: twinId, created: true, state: 'success' })),
    );
    expect(twinJobs.map((j) => j.jobId)).not.toContain(firstJobs[0]?.jobId);
    // SubmitDynamicImageJob on the copy finds its own job; `force` makes a new one.
    const again = await call('POST', '/api/dynamic-image/jobs', {
      body: { videoId: twinId, templateId: webpTemplate.templateId },
    });
    expect(again.json.data).toMatchObject({ jobId: twinJobs[1]?.jobId, created: false });
    const forced = await call('POST', '/api/dynamic-image/jobs', {
      body: { videoId: twinId, templateId: webpTemplate.templateId, force: true },
    });
    expect(forced).toMatchObject({ status: 201, json: { data: { created: true, videoId: twinId } } });
    expect(forced.json.data.jobId).not.toBe(firstJobs[1]?.jobId);
    expect(await waitForJob(forced.json.data.jobId)).toMatchObject({ state: 'success' });

    // Other bytes make new jobs.
    const other = await call('POST', '/api/dynamic-image/upload', {
      form: await videoForm(media.other as string, 'twin-a.mp4', { workflowId: workflow.workflowId }),
    });
    expect(other.json.data[0].jobs.map((j: Json) => j.created)).toEqual([true, true]);
    await Promise.all(other.json.data[0].jobs.map((j: Json) => waitForJob(j.jobId)));

    // A deleted dynamic image no longer stands for its content: asking again makes it again.
    for (const jobId of [firstJobs[0]?.jobId, twinJobs[0]?.jobId]) {
      const gifJob = await waitForJob(jobId as string);
      const deleted = await call('DELETE', `/api/dynamic-image/dynamic-images/${gifJob.dynamicImageId}`);
      expect(deleted.status).toBe(204);
    }
    const remade = await call('POST', '/api/dynamic-image/jobs', {
      body: { videoId: twinId, templateId: gifTemplate.templateId },
    });
    expect(remade.json.data).toMatchObject({ created: true, videoId: twinId });
    expect(await waitForJob(remade.json.data.jobId)).toMatchObject({ state: 'success' });
  });

  it('the embedded worker reads absolute source URLs on the allowed hosts only', async () => {
    // A file as an S3 or CDN provider stores it: an absolute URL on another origin, here a proxy on
    // 127.0.0.2 in front of the CMS. (A second loopback address, not a name: the static ffprobe from
    // npm can't resolve host names on some machines.)
    const cdn = createServer((req, res) => {
      const upstream = httpRequest(
        `${cms.url}${req.url}`,
        { method: req.method, headers: { ...req.headers, host: new URL(cms.url).host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.2', resolve));
    const cdnPort = (cdn.address() as AddressInfo).port;
    const upload = await call('POST', '/api/upload', {
      form: await videoForm(media.twin as string, 'on-a-cdn.mp4', {}),
    });
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    const file = upload.json[0] as Json;
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      await db.query('update files set url = $1 where id = $2', [
        `http://127.0.0.2:${cdnPort}${file.url}`,
        file.id,
      ]);
      // The upload ran the default workflow: jobs of this video sharing the twin's encodes.
      const own = await Promise.all((await jobsOfVideo(file.id, 2)).map((j) => waitForJob(j.jobId)));
      const ownWebp = own.find((j) => j.templateId === webpTemplate.templateId) as Json;
      expect(ownWebp).toMatchObject({ state: 'success', encodeJobId: expect.any(String) });
      // The content hash stored at upload no longer matches the file's URL: the plugin reads the file
      // from its new URL once, finds the same bytes, and answers with the video's job of that content.
      const same = await call('POST', '/api/dynamic-image/jobs', {
        body: { videoId: file.id, templateId: webpTemplate.templateId },
      });
      expect(same.json.data).toMatchObject({ jobId: ownWebp.jobId, created: false, state: 'success' });
      const allowed = await call('POST', '/api/dynamic-image/jobs', {
        body: { videoId: file.id, templateId: gifTemplate.templateId, overrideParams: { width: 200 } },
      });
      expect(allowed.status, JSON.stringify(allowed.json)).toBe(201);
      const done = await waitForJob(allowed.json.data.jobId);
      expect(done, `${done.errorCode}: ${done.errorMessage}`).toMatchObject({
        state: 'success',
        result: { width: 200 },
      });
      // 127.0.0.3 is loopback too, but not on the list.
      await db.query('update files set url = $1 where id = $2', [
        `http://127.0.0.3:${cdnPort}${file.url}`,
        file.id,
      ]);
      const refused = await call('POST', '/api/dynamic-image/jobs', {
        body: { videoId: file.id, templateId: gifTemplate.templateId, overrideParams: { width: 208 } },
      });
      expect(await waitForJob(refused.json.data.jobId)).toMatchObject({
        state: 'failed',
        errorCode: 'UNSUPPORTED_SOURCE',
      });
    } finally {
      await db.end();
      await new Promise((resolve) => cdn.close(resolve));
    }
  });

  let failedJobId: string;

  it('an audio-only upload ends in a fail event with AUDIO_ONLY', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-e2e-'));
    const m4a = await generateSample(resolveFfmpegBinaries(), 'audio-only', dir, 3);
    // An .m4a reads as audio from its first bytes: refused at the upload, whatever type it is sent as.
    const refused = await call('POST', '/api/dynamic-image/upload', {
      form: await videoForm(m4a, 'voice-note.mp4', { workflowId: workflow.workflowId }),
    });
    expect(refused.status, JSON.stringify(refused.json)).toBe(400);
    expect(refused.json.error.code).toBe('InvalidParameter.Files');
    // The same sound in an MP4 file, as a phone might record it, reads as video/mp4 until the worker
    // finds no video stream in it.
    const audio = await remux(m4a, join(dir, 'voice-note.mp4'), 'mp4');
    const upload = await call('POST', '/api/dynamic-image/upload', {
      form: await videoForm(audio, 'voice-note.mp4', { workflowId: workflow.workflowId }),
    });
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    const job = await waitForJob(upload.json.data[0].jobs[0].jobId);
    expect(job).toMatchObject({ state: 'failed', errorCode: 'AUDIO_ONLY' });
    failedJobId = job.jobId;
    const event = await hooks.waitFor((e) => (e as Json).JobId === job.jobId);
    expect(event).toMatchObject({
      Status: 'fail',
      ErrorCode: 'AUDIO_ONLY',
      VideoId: upload.json.data[0].video.videoId,
    });
    expect(event.ErrorMessage).toBeTruthy();
  });

  it('a truncated MP4 fails DAMAGED_SOURCE at its first attempt, and a range past its end is end of file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-e2e-'));
    // Its index (moov, first) is whole and its media stops at 40 %: both windows reach past the cut.
    const truncated = await generateSample(resolveFfmpegBinaries(), 'truncated-faststart-mp4', dir, 6);
    const size = (await stat(truncated)).size;
    const upload = await call('POST', '/api/dynamic-image/upload', {
      form: await videoForm(truncated, 'cut-short.mp4', { workflowId: workflow.workflowId }),
    });
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    const done = await Promise.all(
      (upload.json.data[0].jobs as Json[]).map((j) => waitForJob(j.jobId as string)),
    );
    expect(done).toHaveLength(2);
    for (const job of done) {
      expect(job).toMatchObject({ state: 'failed', errorCode: 'DAMAGED_SOURCE', attempts: 1 });
    }

    // Strapi's static server (koa-range over koa-send) answers a range past the end with 206 and a
    // negative Content-Length, which Node's HTTP parser refuses: read raw.
    const videoId = upload.json.data[0].video.videoId as number;
    const url = `${cms.url}${(await call('GET', `/api/upload/files/${videoId}`)).json.url}`;
    const past = await new Promise<string>((resolve, reject) => {
      const { pathname, port } = new URL(url);
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(
          `GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=${size + 500}-\r\nConnection: close\r\n\r\n`,
        ),
      );
      let head = '';
      socket.on('data', (chunk) => {
        head += chunk.toString('latin1');
      });
      socket.on('end', () => resolve(head));
      socket.on('error', reject);
    });
    expect(past).toMatch(/^HTTP\/1\.1 206 /);
    expect(past).toMatch(new RegExp(`content-range: bytes ${size + 500}-${size - 1}/${size}\r\n`, 'i'));
    expect(past).toMatch(/content-length: -500\r\n/i);
    // The worker's source gateway answers such a range itself, with 416: end of file to ffmpeg, and
    // nothing that would pass for an unreachable source.
    const policy: SourcePolicy = { allowFile: false, allowedNetworks: ['127.0.0.0/8'] };
    const gateway = await openSource(resolveSource(url, policy), policy);
    try {
      const whole = await fetch(gateway.source.input, { headers: { range: 'bytes=0-' } });
      expect((await whole.arrayBuffer()).byteLength).toBe(size);
      const beyond = await fetch(gateway.source.input, { headers: { range: `bytes=${size + 500}-` } });
      expect(beyond.status).toBe(416);
      expect(gateway.violation()).toBeNull();
    } finally {
      await gateway.close();
    }
  });

  it('runs the bound workflow for a plain Media Library upload into its folder', async () => {
    const folder = await call('POST', '/upload/folders', {
      token: adminToken,
      body: { name: 'Social clips', parent: null },
    });
    expect(folder.status, JSON.stringify(folder.json)).toBe(201);
    const folderId = folder.json.data.id;
    const bound = await call('PUT', `/api/dynamic-image/workflows/${workflow.workflowId}`, {
      body: { folders: [folderId] },
    });
    expect(bound.json.data?.folders, JSON.stringify(bound.json)).toEqual([folderId]);
    // A folder that doesn't exist is named, and the binding stays as it was.
    const unknown = await call('PUT', `/api/dynamic-image/workflows/${workflow.workflowId}`, {
      body: { folders: [folderId, folderId + 1000] },
    });
    expect(unknown).toMatchObject({ status: 400, json: { error: { code: 'InvalidParameter.Folders' } } });
    expect(unknown.json.error.details.issues[0].params).toEqual({ id: folderId + 1000 });
    expect(
      (await call('GET', `/api/dynamic-image/workflows/${workflow.workflowId}`)).json.data.folders,
    ).toEqual([folderId]);
    const form = await videoForm(media.portrait as string, 'portrait.mp4', {
      fileInfo: JSON.stringify({ folder: folderId }),
    });
    const upload = await call('POST', '/upload', { token: adminToken, form });
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    const fileId = upload.json[0]?.id ?? upload.json.data?.[0]?.id;
    let listed = await jobsOfVideo(fileId, 2);
    expect(listed).toHaveLength(2);
    const done = await Promise.all(listed.map((j) => waitForJob(j.jobId)));
    const gif = done.find((j) => j.template.format === 'gif');
    expect(gif).toMatchObject({ state: 'success', origin: 'upload', result: { width: 320, height: 569 } });

    // Replacing the video's file runs the workflow again on the new content.
    const replace = await call('POST', `/upload?id=${fileId}`, {
      token: adminToken,
      form: await videoForm(media.replacement as string, 'replacement.mp4', {}),
    });
    expect(replace.status, JSON.stringify(replace.json)).toBe(200);
    listed = await jobsOfVideo(fileId, 4);
    expect(listed).toHaveLength(4);
    const rerun = await Promise.all(listed.slice(0, 2).map((j) => waitForJob(j.jobId)));
    expect(rerun.find((j) => j.template.format === 'gif')).toMatchObject({
      state: 'success',
      result: { width: 320, height: 180 },
    });
  });

  it('runs the default workflow for a plain content-API upload outside any bound folder', async () => {
    const form = await videoForm(media.plain as string, 'plain-upload.mp4', {});
    const upload = await call('POST', '/api/upload', { form });
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    const fileId = upload.json[0].id;
    const listed = await jobsOfVideo(fileId, 2);
    expect(listed.map((j) => j.workflowId)).toEqual([workflow.workflowId, workflow.workflowId]);
    const done = await Promise.all(listed.map((j) => waitForJob(j.jobId)));
    expect(done.every((j) => j.state === 'success')).toBe(true);
    // The plugin's own outputs never start jobs: only the video has jobs.
    const images = (await call('GET', `/api/dynamic-image/videos/${fileId}/dynamic-images`)).json
      .data as Json[];
    for (const image of images) {
      expect((await call('GET', `/api/dynamic-image/jobs?videoId=${image.fileId}`)).json.data).toEqual([]);
    }
  });

  it('a video named like a path writes nothing outside the temporary folder, and its results get a plain name', async () => {
    const form = await videoForm(media.named as string, 'named.mp4', {
      fileInfo: JSON.stringify({ name: '../../../../pwn.mp4' }),
    });
    const upload = await call('POST', '/api/upload', { form });
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    const fileId = upload.json[0].id;
    let listed: Json[] = [];
    const deadline = Date.now() + 30_000;
    while (listed.length < 2 && Date.now() < deadline) {
      listed = (await call('GET', `/api/dynamic-image/jobs?videoId=${fileId}`)).json.data;
      await new Promise((r) => setTimeout(r, 300));
    }
    const done = await Promise.all(listed.map((j) => waitForJob(j.jobId)));
    // Each folder between the fresh root and the CMS's TMPDIR holds only the next one.
    const chain = ['a', 'b', 'c', 'd', 'tmp'];
    let folder = tmpRoot;
    for (const next of chain) {
      expect(await readdir(folder), folder).toEqual([next]);
      folder = join(folder, next);
    }
    expect(done.map((j) => j.state)).toEqual(['success', 'success']);
    const images = (await call('GET', `/api/dynamic-image/videos/${fileId}/dynamic-images`)).json
      .data as Json[];
    expect(images).toHaveLength(2);
    for (const image of images) {
      const file = (await call('GET', `/api/upload/files/${image.fileId}`)).json;
      expect(file.name).toBe(`pwn-${String(image.jobId).slice(0, 8)}.${image.format}`);
      expect(file.alternativeText).toBe('Dynamic image of pwn.mp4');
    }
  });

  describe('upload types are read from the bytes', () => {
    const uploadsDir = join(cmsDir, 'public', 'uploads');
    /** Files under public/uploads holding `marker`: what a refused upload must not leave. */
    const storedWith = async (marker: string) => {
      const hits: string[] = [];
      for (const name of await readdir(uploadsDir)) {
        const bytes = await readFile(join(uploadsDir, name)).catch(() => Buffer.alloc(0));
        if (bytes.includes(marker)) hits.push(name);
      }
      return hits;
    };
    const fileCount = async () => ((await call('GET', '/api/upload/files')).json as unknown as Json[]).length;
    const plugInUpload = (bytes: Uint8Array, name: string, type: string) => {
      const form = new FormData();
      form.append('workflowId', workflow.workflowId);
      form.append('files', new Blob([bytes], { type }), name);
      return call('POST', '/api/dynamic-image/upload', { form });
    };

    it('refuses an HTML page sent as video/mp4 and stores nothing', async () => {
      const marker = `marker-${randomUUID()}`;
      const page = new TextEncoder().encode(
        `<!doctype html><html><body><script>alert('${marker}')</script></body></html>`,
      );
      const before = await fileCount();
      const res = await plugInUpload(page, 'x.html', 'video/mp4');
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.error.code).toBe('InvalidParameter.Files');
      expect(res.json.error.message).toContain('not a video');
      expect(await fileCount()).toBe(before);
      expect(await storedWith(marker)).toEqual([]);
      // Named .mp4 too: the name doesn't make it a video either.
      const named = await plugInUpload(page, 'x.mp4', 'video/mp4');
      expect(named.status, JSON.stringify(named.json)).toBe(400);
      expect(await fileCount()).toBe(before);
    });

    it('takes a video sent as application/octet-stream, stores it as video/mp4 and runs its jobs', async () => {
      const res = await plugInUpload(
        await readFile(media.octet as string),
        'octet.mp4',
        'application/octet-stream',
      );
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      const { video, jobs: made } = res.json.data[0];
      expect(made).toHaveLength(2);
      expect((await call('GET', `/api/upload/files/${video.videoId}`)).json.mime).toBe('video/mp4');
    });

    it('refuses a type the upload security settings deny', async () => {
      const before = await fileCount();
      const res = await plugInUpload(
        await readFile(media.quicktime as string),
        'clip.mov',
        'video/quicktime',
      );
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.error.code).toBe('InvalidParameter.Files');
      expect(res.json.error.message).toContain('video/quicktime');
      expect(await fileCount()).toBe(before);
    });

    it('a Media Library upload that is not a video gets no job, whatever type it declares', async () => {
      const form = new FormData();
      form.append(
        'files',
        new Blob([new TextEncoder().encode('<html>not a video</html>')], { type: 'video/mp4' }),
        'page.mp4',
      );
      const upload = await call('POST', '/api/upload', { form });
      expect(upload.status, JSON.stringify(upload.json)).toBe(201);
      const fileId = upload.json[0].id;
      // The upload hook either starts the default workflow's jobs or logs why it didn't: wait for one.
      const refused = `uploaded file ${fileId} gets no job`;
      const deadline = Date.now() + 30_000;
      let listed: Json[] = [];
      while (!cms.log().includes(refused) && Date.now() < deadline) {
        listed = (await call('GET', `/api/dynamic-image/jobs?videoId=${fileId}`)).json.data;
        if (listed.length > 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(listed).toEqual([]);
      expect(cms.log()).toContain(refused);
      expect((await call('GET', `/api/dynamic-image/jobs?videoId=${fileId}`)).json.data).toEqual([]);
    });
  });

  it('offers the same operations, rules and permissions through GraphQL', async () => {
    const gql = async (query: string, variables: Json = {}, token: string | null = apiToken) => {
      const response = await fetch(`${cms.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as Json;
    };
    const templates = await gql(
      '{ dynamicImageTemplates { templateId name format fps width height captureMethod } }',
    );
    expect(templates.errors, JSON.stringify(templates.errors)).toBeUndefined();
    expect(templates.data.dynamicImageTemplates.map((t: Json) => t.name).sort()).toEqual([
      'highlight-webp',
      'social-gif',
    ]);

    const invalid = await gql(
      'mutation($data: JSON!) { createDynamicImageTemplate(data: $data) { templateId } }',
      {
        data: { name: 'gql-bad', format: 'gif', fps: 61, captureMethod: 'byDuration', duration: 1 },
      },
    );
    expect(invalid.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(invalid.errors[0].extensions.error.details.code).toBe('InvalidParameter.Fps');
    expect(invalid.errors[0].message).toContain('fps');

    const submitted = await gql(
      'mutation($v: ID!, $t: String!, $o: JSON) { submitDynamicImageJob(videoId: $v, templateId: $t, overrideParams: $o) { jobId state created } }',
      { v: String(videoId), t: webpTemplate.templateId, o: { height: 180 } },
    );
    expect(submitted.errors, JSON.stringify(submitted.errors)).toBeUndefined();
    const jobId = submitted.data.submitDynamicImageJob.jobId;
    await waitForJob(jobId);
    const job = await gql('query($id: String!) { dynamicImageJob(jobId: $id) { state result errorCode } }', {
      id: jobId,
    });
    expect(job.data.dynamicImageJob).toMatchObject({
      state: 'success',
      result: { width: 320, height: 180, format: 'webp' },
      errorCode: null,
    });
    const images = await gql(
      'query($v: ID!) { dynamicImages(videoId: $v) { dynamicImageId format width height url } }',
      { v: String(videoId) },
    );
    expect(images.data.dynamicImages.some((d: Json) => d.width === 320 && d.format === 'webp')).toBe(true);

    const missing = await gql('query { dynamicImageTemplate(templateId: "nope") { name } }');
    expect(missing.errors[0].extensions.error.details.code).toBe('InvalidTemplate.NotFound');
    const anonymous = await gql('{ dynamicImageTemplates { name } }', {}, null);
    expect(anonymous.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('keeps GraphQL shadow CRUD off for every content type of the plugin', async () => {
    // The plugin's tables can't be reached around its rules. Strapi names a plugin type's shadow CRUD
    // after the plugin (`dynamicImagePendingEvents`); where the plugin's own query has that name
    // (`dynamicImageTemplates`), its type has no `documentId`, which shadow CRUD's would.
    for (const query of [
      'dynamicImageTemplates',
      'dynamicImageWorkflows',
      'dynamicImageJobs',
      'dynamicImageDynamicImages',
      'dynamicImageAutoThumbnails',
      'dynamicImageFileHashes',
      'dynamicImagePreviews',
      'dynamicImagePendingEvents',
    ]) {
      const response = await fetch(`${cms.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
        body: JSON.stringify({ query: `{ ${query} { documentId } }` }),
      });
      const json = (await response.json()) as Json;
      expect(`${query}: ${json.errors?.[0]?.message ?? JSON.stringify(json)}`).toMatch(/Cannot query field/);
    }
  });

  it('runs templates, workflows, jobs and results end to end through GraphQL', async () => {
    const gql = async (query: string, variables: Json = {}) => {
      const response = await fetch(`${cms.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as Json;
    };
    const ok = (answer: Json) => {
      expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
      return answer.data as Json;
    };
    const code = (answer: Json) => answer.errors?.[0]?.extensions?.error?.details?.code;

    const { createDynamicImageTemplate: template } = ok(
      await gql(
        'mutation($d: JSON!) { createDynamicImageTemplate(data: $d) { templateId name fps width captureMethod } }',
        {
          d: { name: 'gql-gif', format: 'gif', fps: 8, width: 256, captureMethod: 'byDuration', duration: 1 },
        },
      ),
    );
    expect(template).toMatchObject({ name: 'gql-gif', fps: 8, width: 256, captureMethod: 'byDuration' });
    const updated = ok(
      await gql(
        'mutation($t: String!, $d: JSON!) { updateDynamicImageTemplate(templateId: $t, data: $d) { fps } }',
        {
          t: template.templateId,
          d: { fps: 6 },
        },
      ),
    );
    expect(updated.updateDynamicImageTemplate.fps).toBe(6);
    expect(
      code(
        await gql(
          'mutation($t: String!, $d: JSON!) { updateDynamicImageTemplate(templateId: $t, data: $d) { fps } }',
          {
            t: template.templateId,
            d: { width: 5000 },
          },
        ),
      ),
    ).toBe('InvalidParameter.Width');

    const { createDynamicImageWorkflow: flow } = ok(
      await gql(
        'mutation($d: JSON!) { createDynamicImageWorkflow(data: $d) { workflowId name nodes enabled } }',
        {
          d: { name: 'gql-flow', nodes: [{ templateId: template.templateId }] },
        },
      ),
    );
    expect(flow).toMatchObject({
      name: 'gql-flow',
      enabled: true,
      nodes: [{ templateId: template.templateId }],
    });
    ok(
      await gql(
        'mutation($w: String!, $d: JSON!) { updateDynamicImageWorkflow(workflowId: $w, data: $d) { name } }',
        {
          w: flow.workflowId,
          d: { name: 'gql-flow-renamed' },
        },
      ),
    );
    expect(
      ok(
        await gql('query($w: String!) { dynamicImageWorkflow(workflowId: $w) { name } }', {
          w: flow.workflowId,
        }),
      ).dynamicImageWorkflow.name,
    ).toBe('gql-flow-renamed');
    expect(
      ok(await gql('{ dynamicImageWorkflows { workflowId } }')).dynamicImageWorkflows.map(
        (w: Json) => w.workflowId,
      ),
    ).toContain(flow.workflowId);
    // A template in use by a workflow can't be deleted.
    expect(
      code(
        await gql('mutation($t: String!) { deleteDynamicImageTemplate(templateId: $t) }', {
          t: template.templateId,
        }),
      ),
    ).toBe('Forbidden.IllegalStatus');

    const { submitWorkflowJob } = ok(
      await gql(
        'mutation($w: String!, $v: ID!) { submitWorkflowJob(workflowId: $w, videoId: $v) { jobId created } }',
        {
          w: flow.workflowId,
          v: String(videoId),
        },
      ),
    );
    expect(submitWorkflowJob).toHaveLength(1);
    const job = await waitForJob(submitWorkflowJob[0].jobId);
    expect(job).toMatchObject({ state: 'success', result: { width: 256, fps: 6 } });
    const listed = ok(
      await gql('query($v: ID, $s: String) { dynamicImageJobs(videoId: $v, state: $s) { jobId state } }', {
        v: String(videoId),
        s: 'success',
      }),
    ).dynamicImageJobs as Json[];
    expect(listed.map((j) => j.jobId)).toContain(job.jobId);
    expect(listed.every((j) => j.state === 'success')).toBe(true);

    ok(
      await gql('mutation($d: ID!) { setDynamicImageCover(dynamicImageId: $d) }', {
        d: String(job.dynamicImageId),
      }),
    );
    const info = ok(
      await gql(
        'query($v: ID!) { dynamicImageVideoInfo(videoId: $v) { video coverUrl dynamicImages { dynamicImageId url isCover } } }',
        { v: String(videoId) },
      ),
    ).dynamicImageVideoInfo as Json;
    const image = info.dynamicImages.find((d: Json) => d.dynamicImageId === job.dynamicImageId);
    expect(image).toMatchObject({ isCover: true });
    expect(info.coverUrl).toBe(image.url);
    expect(info.video).toMatchObject({ videoId, mime: 'video/mp4' });

    expect(
      ok(
        await gql('mutation($d: ID!) { deleteDynamicImage(dynamicImageId: $d) }', {
          d: String(job.dynamicImageId),
        }),
      ).deleteDynamicImage,
    ).toBe(true);
    expect((await fetch(image.url)).status).toBe(404);
    const after = ok(
      await gql('query($v: ID!) { dynamicImages(videoId: $v) { dynamicImageId } }', { v: String(videoId) }),
    );
    expect(after.dynamicImages.map((d: Json) => d.dynamicImageId)).not.toContain(job.dynamicImageId);

    // Retry: only a failed job; it makes a new job for the same video and template.
    expect(
      code(
        await gql('mutation($j: String!) { retryDynamicImageJob(jobId: $j) { jobId } }', { j: job.jobId }),
      ),
    ).toBe('Forbidden.IllegalStatus');
    const retried = ok(
      await gql('mutation($j: String!) { retryDynamicImageJob(jobId: $j) { jobId created } }', {
        j: failedJobId,
      }),
    ).retryDynamicImageJob;
    expect(retried).toMatchObject({ created: true });
    expect(retried.jobId).not.toBe(failedJobId);
    expect(await waitForJob(retried.jobId)).toMatchObject({
      state: 'failed',
      errorCode: 'AUDIO_ONLY',
      origin: 'retry',
    });

    ok(
      await gql('mutation($w: String!) { deleteDynamicImageWorkflow(workflowId: $w) }', {
        w: flow.workflowId,
      }),
    );
    expect(
      code(
        await gql('query($w: String!) { dynamicImageWorkflow(workflowId: $w) { name } }', {
          w: flow.workflowId,
        }),
      ),
    ).toBe('InvalidWorkflow.NotFound');
    ok(
      await gql('mutation($t: String!) { deleteDynamicImageTemplate(templateId: $t) }', {
        t: template.templateId,
      }),
    );
    expect(
      code(
        await gql('query($t: String!) { dynamicImageTemplate(templateId: $t) { name } }', {
          t: template.templateId,
        }),
      ),
    ).toBe('InvalidTemplate.NotFound');
  });

  it('refuses anonymous callers, and serves admins on the admin API', async () => {
    for (const path of ['/api/dynamic-image/templates', '/api/dynamic-image/jobs']) {
      expect([401, 403]).toContain((await call('GET', path, { token: null })).status);
    }
    expect(
      (await call('POST', '/api/dynamic-image/jobs', { token: null, body: {} })).status,
    ).toBeGreaterThanOrEqual(401);
    expect((await call('GET', '/dynamic-image/templates', { token: null })).status).toBe(401);
    // A read-only API token may read but not write.
    const readOnly = await call('POST', '/admin/api-tokens', {
      token: adminToken,
      body: { name: 'e2e-read', type: 'read-only', lifespan: null, description: '' },
    });
    const reader = readOnly.json.data.accessKey as string;
    expect((await call('GET', '/api/dynamic-image/templates', { token: reader })).status).toBe(200);
    const write = await call('POST', '/api/dynamic-image/templates', {
      token: reader,
      body: { name: 'not-allowed', format: 'gif', fps: 5, captureMethod: 'byDuration', duration: 1 },
    });
    expect(write.status).toBe(403);
    const admin = await call('GET', '/dynamic-image/templates', { token: adminToken });
    expect(admin.status).toBe(200);
    expect(admin.json.data).toHaveLength(2);
  });

  it('refuses to run a disabled workflow, and gets, lists and deletes workflows and templates', async () => {
    const paused = await call('POST', '/api/dynamic-image/workflows', {
      body: { name: 'paused', nodes: [{ templateId: gifTemplate.templateId }], enabled: false },
    });
    expect(paused.status).toBe(201);
    const pausedId = paused.json.data.workflowId;
    expect((await call('GET', `/api/dynamic-image/workflows/${pausedId}`)).json.data).toMatchObject({
      name: 'paused',
      enabled: false,
      nodes: [{ templateId: gifTemplate.templateId }],
    });
    const all = (await call('GET', '/api/dynamic-image/workflows')).json.data as Json[];
    expect(all.map((w) => w.name)).toEqual(expect.arrayContaining(['social', 'paused']));

    const jobsBefore = (await call('GET', '/api/dynamic-image/jobs?limit=1000')).json.data.length;
    const run = await call('POST', `/api/dynamic-image/workflows/${pausedId}/jobs`, { body: { videoId } });
    expect(run).toMatchObject({ status: 400, json: { error: { code: 'Forbidden.IllegalStatus' } } });
    expect(run.json.error.message).toContain('disabled');
    // Upload with a disabled workflow: refused before the file is stored.
    const filesBefore = (await call('GET', '/api/upload/files')).json.length;
    const upload = await call('POST', '/api/dynamic-image/upload', {
      form: await videoForm(media.other as string, 'paused.mp4', { workflowId: pausedId }),
    });
    expect(upload).toMatchObject({ status: 400, json: { error: { code: 'Forbidden.IllegalStatus' } } });
    expect((await call('GET', '/api/upload/files')).json.length).toBe(filesBefore);
    expect((await call('GET', '/api/dynamic-image/jobs?limit=1000')).json.data.length).toBe(jobsBefore);
    // Enabled again, it runs.
    await call('PUT', `/api/dynamic-image/workflows/${pausedId}`, { body: { enabled: true } });
    const resumed = await call('POST', `/api/dynamic-image/workflows/${pausedId}/jobs`, {
      body: { videoId },
    });
    expect(resumed.status, JSON.stringify(resumed.json)).toBe(201);
    // Its job ends here: left running, it would add a dynamic image while a later test counts them.
    for (const job of resumed.json.data.jobs as Json[]) await waitForJob(job.jobId);

    expect((await call('DELETE', `/api/dynamic-image/workflows/${pausedId}`)).status).toBe(204);
    expect((await call('GET', `/api/dynamic-image/workflows/${pausedId}`)).json.error.code).toBe(
      'InvalidWorkflow.NotFound',
    );
    const spare = await call('POST', '/api/dynamic-image/templates', {
      body: { name: 'short-lived', format: 'gif', fps: 5, captureMethod: 'byDuration', duration: 1 },
    });
    expect((await call('DELETE', `/api/dynamic-image/templates/${spare.json.data.templateId}`)).status).toBe(
      204,
    );
    expect((await call('GET', `/api/dynamic-image/templates/${spare.json.data.templateId}`)).status).toBe(
      404,
    );
  });

  it('takes a workflow by name as well as by id, for an upload as for the default workflow', async () => {
    // Upload with a workflow named, not given by id: the same workflow runs.
    const upload = await call('POST', '/api/dynamic-image/upload', {
      form: await videoForm(media.landscape as string, 'by-name.mp4', { workflowId: 'social' }),
    });
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    expect(upload.json.data[0].jobs.map((j: Json) => j.templateId)).toEqual([
      gifTemplate.templateId,
      webpTemplate.templateId,
    ]);
    // Ended here, so the status test below finds nothing running.
    for (const job of upload.json.data[0].jobs as Json[]) await waitForJob(job.jobId);
    // A name that is no workflow's is refused as an unknown workflow, before anything is stored.
    const filesBefore = (await call('GET', '/api/upload/files')).json.length;
    const unknown = await call('POST', '/api/dynamic-image/upload', {
      form: await videoForm(media.landscape as string, 'by-name.mp4', { workflowId: 'no-such-flow' }),
    });
    expect(unknown).toMatchObject({ status: 404, json: { error: { code: 'InvalidWorkflow.NotFound' } } });
    expect((await call('GET', '/api/upload/files')).json.length).toBe(filesBefore);
    // Settings take a name too, and keep the id (so renaming the workflow keeps the setting).
    const saved = await call('PUT', '/dynamic-image/settings', {
      token: adminToken,
      body: { defaultWorkflow: 'social' },
    });
    expect(saved.status, JSON.stringify(saved.json)).toBe(200);
    expect(saved.json.data).toMatchObject({ defaultWorkflow: workflow.workflowId, source: 'settings' });
    expect((await call('DELETE', '/dynamic-image/settings', { token: adminToken })).status).toBe(200);
  });

  it('sets a dynamic image as the cover, and filters jobs by state', async () => {
    const images = (await call('GET', `/api/dynamic-image/videos/${videoId}/dynamic-images`)).json
      .data as Json[];
    const other = images.find((i) => !i.isCover) as Json;
    expect(other).toBeTruthy();
    expect(
      (await call('POST', `/api/dynamic-image/dynamic-images/${other.dynamicImageId}/cover`)).status,
    ).toBe(204);
    const info = (await call('GET', `/api/dynamic-image/videos/${videoId}`)).json.data;
    expect(info.coverUrl).toBe(new URL(other.url, cms.url).toString());
    expect(info.dynamicImages.filter((i: Json) => i.isCover).map((i: Json) => i.dynamicImageId)).toEqual([
      other.dynamicImageId,
    ]);
    expect((await call('POST', '/api/dynamic-image/dynamic-images/999999/cover')).json.error.code).toBe(
      'InvalidDynamicImage.NotFound',
    );

    const failed = (await call('GET', '/api/dynamic-image/jobs?state=failed')).json.data as Json[];
    expect(failed.map((j) => j.jobId)).toContain(failedJobId);
    expect(failed.every((j) => j.state === 'failed')).toBe(true);
    const succeeded = (await call('GET', '/api/dynamic-image/jobs?state=success')).json.data as Json[];
    expect(succeeded.length).toBeGreaterThan(0);
    expect(succeeded.every((j) => j.state === 'success' && j.progress === 100)).toBe(true);
  });

  it('reports the connected embedded worker, and no job waiting or running once all have ended', async () => {
    // pg_stat_activity (the worker's sessions) and pg-boss's job table, read live.
    const { status, json } = await call('GET', '/dynamic-image/status', { token: adminToken });
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json.data.mode).toBe('embedded');
    expect(json.data.workers).toHaveLength(1);
    expect(json.data.workers[0].name).toMatch(/^dynamic-image-worker /);
    expect(json.data.workers[0].sessions).toBeGreaterThan(0);
    expect(Date.parse(json.data.workers[0].connectedSince)).toBeLessThan(Date.now());
    // The worker completes its pg-boss job just after the CMS has stored the result.
    const queue = async () =>
      (await call('GET', '/dynamic-image/status', { token: adminToken })).json.data.queue;
    await expect.poll(queue, { timeout: 10_000 }).toEqual({ queued: 0, active: 0, deferred: 0 });
  });

  it('retries a failed job as it was asked for, whatever became of its template since', async () => {
    const template = async (name: string) => {
      const created = await call('POST', '/api/dynamic-image/templates', {
        body: { name, format: 'gif', fps: 5, width: 160, captureMethod: 'byDuration', duration: 1 },
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      return created.json.data.templateId as string;
    };
    const editedId = await template('retry-edited');
    const deletedId = await template('retry-deleted');
    // A file without a video stream: its jobs fail, until a video replaces it.
    const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-e2e-'));
    const audio = await generateSample(resolveFfmpegBinaries(), 'audio-only', dir, 2);
    const upload = await call('POST', '/api/upload', { form: await videoForm(audio, 'late-video.mp4', {}) });
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    const fileId = upload.json[0].id as number;
    const failed = await Promise.all(
      [editedId, deletedId].map(async (templateId) => {
        const submitted = await call('POST', '/api/dynamic-image/jobs', {
          body: { videoId: fileId, templateId },
        });
        expect(submitted.status, JSON.stringify(submitted.json)).toBe(201);
        return waitForJob(submitted.json.data.jobId);
      }),
    );
    expect(failed.map((j) => [j.state, j.errorCode])).toEqual([
      ['failed', 'AUDIO_ONLY'],
      ['failed', 'AUDIO_ONLY'],
    ]);

    expect(
      (await call('PUT', `/api/dynamic-image/templates/${editedId}`, { body: { width: 256 } })).status,
    ).toBe(200);
    expect((await call('DELETE', `/api/dynamic-image/templates/${deletedId}`)).status).toBe(204);
    const replaced = await call('POST', `/api/upload?id=${fileId}`, {
      form: await videoForm(media.landscape as string, 'late-video.mp4', {}),
    });
    expect(replaced.status, JSON.stringify(replaced.json)).toBe(200);

    for (const job of failed) {
      const retry = await call('POST', `/api/dynamic-image/jobs/${job.jobId}/retry`);
      expect(retry.status, JSON.stringify(retry.json)).toBe(201);
      expect(retry.json.data.template).toEqual(job.template);
      const done = await waitForJob(retry.json.data.jobId);
      expect(done).toMatchObject({ state: 'success', origin: 'retry', templateId: job.templateId });
      const images = (await call('GET', `/api/dynamic-image/videos/${fileId}/dynamic-images`)).json
        .data as Json[];
      const image = images.find((i) => i.dynamicImageId === done.dynamicImageId) as Json;
      const bytes = new Uint8Array(await (await fetch(image.url)).arrayBuffer());
      // The template's width when the job was asked for, not the edited one.
      expect(inspectAnimation(bytes)).toMatchObject({ format: 'gif', width: 160, height: 90 });
    }
  });

  let editorToken: string;

  it('refuses an admin whose role lacks the plugin actions', async () => {
    const roles = (await call('GET', '/admin/roles', { token: adminToken })).json.data as Json[];
    const editorRole = roles.find((r) => r.code === 'strapi-editor') as Json;
    const invited = await call('POST', '/admin/users', {
      token: adminToken,
      body: { firstname: 'Nora', lastname: 'Editor', email: 'nora@example.com', roles: [editorRole.id] },
    });
    expect(invited.status, JSON.stringify(invited.json)).toBe(201);
    const registered = await call('POST', '/admin/register', {
      token: null,
      body: {
        registrationToken: invited.json.data.registrationToken,
        userInfo: { firstname: 'Nora', lastname: 'Editor', password: 'Editor12345!' },
      },
    });
    const editor = registered.json.data.token as string;
    editorToken = editor;
    const template = { name: 'editor-gif', format: 'gif', fps: 5, captureMethod: 'byDuration', duration: 1 };
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', '/dynamic-image/templates'],
      ['POST', '/dynamic-image/templates', template],
      ['DELETE', `/dynamic-image/templates/${gifTemplate.templateId}`],
      ['GET', '/dynamic-image/workflows'],
      ['POST', `/dynamic-image/workflows/${workflow.workflowId}/jobs`, { videoId }],
      ['POST', '/dynamic-image/jobs', { videoId, templateId: gifTemplate.templateId, force: true }],
      ['GET', '/dynamic-image/jobs'],
      ['GET', `/dynamic-image/videos/${videoId}`],
      ['POST', '/dynamic-image/upload', {}],
    ];
    for (const [method, path, body] of attempts) {
      expect((await call(method, path, { token: editor, body })).status, `${method} ${path}`).toBe(403);
    }
    const images = (
      await call('GET', `/dynamic-image/videos/${videoId}/dynamic-images`, { token: adminToken })
    ).json.data as Json[];
    expect(
      (await call('DELETE', `/dynamic-image/dynamic-images/${images[0]?.dynamicImageId}`, { token: editor }))
        .status,
    ).toBe(403);
    // Nothing was made or removed on its behalf.
    expect(
      ((await call('GET', '/dynamic-image/templates', { token: adminToken })).json.data as Json[]).map(
        (t) => t.name,
      ),
    ).not.toContain('editor-gif');
    expect(
      (await call('GET', `/dynamic-image/videos/${videoId}/dynamic-images`, { token: adminToken })).json.data,
    ).toHaveLength(images.length);
  });

  it('subscribes webhooks to DynamicImageComplete from the settings routes', async () => {
    const admin = (method: string, body?: unknown) =>
      call(method, '/dynamic-image/settings/webhooks', { token: adminToken, body });
    const listed = await admin('GET');
    expect(listed.status).toBe(200);
    expect(listed.json.meta).toEqual({
      event: 'dynamic-image.complete',
      signingSecret: expect.stringMatching(/^whsec_/),
    });
    expect(listed.json.data).toEqual([expect.objectContaining({ name: 'e2e', subscribed: true })]);

    const second = await startWebhookReceiver();
    try {
      const created = await call('POST', '/admin/webhooks', {
        token: adminToken,
        body: { name: 'second', url: second.url, headers: {}, events: ['entry.create'] },
      });
      const id = created.json.data.id;
      expect((await admin('GET')).json.data.find((w: Json) => w.id === id)).toMatchObject({
        name: 'second',
        subscribed: false,
        events: ['entry.create'],
      });
      // Nothing is written when one id is unknown or a value is wrong.
      const unknown = await admin('PUT', {
        data: [
          { id, subscribed: true },
          { id: 999999, subscribed: true },
        ],
      });
      expect(unknown).toMatchObject({ status: 404, json: { error: { code: 'InvalidWebhook.NotFound' } } });
      const wrong = await admin('PUT', { data: [{ id, subscribed: 'yes' }] });
      expect(wrong).toMatchObject({ status: 400, json: { error: { code: 'InvalidParameter.Data' } } });
      expect(wrong.json.error.message).toContain('subscribed');
      expect((await call('GET', `/admin/webhooks/${id}`, { token: adminToken })).json.data.events).toEqual([
        'entry.create',
      ]);

      const subscribed = await admin('PUT', { data: [{ id, subscribed: true }] });
      expect(subscribed.status, JSON.stringify(subscribed.json)).toBe(200);
      expect(subscribed.json.data.find((w: Json) => w.id === id)).toMatchObject({ subscribed: true });
      expect((await call('GET', `/admin/webhooks/${id}`, { token: adminToken })).json.data.events).toEqual([
        'entry.create',
        'dynamic-image.complete',
      ]);
      // It receives the event from now on...
      const job = await call('POST', '/api/dynamic-image/jobs', {
        body: { videoId, templateId: gifTemplate.templateId, overrideParams: { width: 144 }, force: true },
      });
      await second.waitFor((e) => e.JobId === job.json.data.jobId);
      // ...until unsubscribed; its other events stay.
      await admin('PUT', { data: [{ id, subscribed: false }] });
      expect((await call('GET', `/admin/webhooks/${id}`, { token: adminToken })).json.data.events).toEqual([
        'entry.create',
      ]);
      const later = await call('POST', '/api/dynamic-image/jobs', {
        body: { videoId, templateId: gifTemplate.templateId, overrideParams: { width: 152 }, force: true },
      });
      await hooks.waitFor((e) => e.JobId === later.json.data.jobId);
      await new Promise((r) => setTimeout(r, 1500));
      expect(second.events.some((e) => e.JobId === later.json.data.jobId)).toBe(false);
    } finally {
      await second.close();
    }
    // Admins with the settings permission only; not on the content API.
    expect((await call('GET', '/dynamic-image/settings/webhooks', { token: editorToken })).status).toBe(403);
    expect(
      (await call('PUT', '/dynamic-image/settings/webhooks', { token: editorToken, body: { data: [] } }))
        .status,
    ).toBe(403);
    expect((await call('GET', '/api/dynamic-image/settings/webhooks')).status).toBe(404);
  });

  it('the worker endpoint refuses forged and replayed signatures', async () => {
    const jobId = jobs[0]?.jobId as string;
    const url = new URL(`${cms.url}/api/dynamic-image/worker/jobs/${jobId}/progress`);
    const body = new TextEncoder().encode(
      JSON.stringify({ jobId, percent: 50, stage: 'encode', attempt: 1 }),
    );
    const post = (headers: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        body,
        headers: { ...headers, 'content-type': 'application/octet-stream' },
      }).then((r) => r.status);
    expect(await post({})).toBe(401);
    expect(await post(signedHeaders('not-the-secret-at-all', 'POST', url, body))).toBe(401);
    const good = signedHeaders(cms.secret, 'POST', url, body);
    // Signed right, but the job has ended: 409. The signature is used up all the same.
    expect(await post(good)).toBe(409);
    expect(await post(good)).toBe(401);
    const stale = {
      'x-dynamic-image-signature': (good['x-dynamic-image-signature'] as string).replace(/t=\d+/, 't=1000'),
    };
    expect(await post(stale)).toBe(401);
    // A finished job stays finished.
    expect((await call('GET', `/api/dynamic-image/jobs/${jobId}`)).json.data.state).toBe('success');
  });
});
