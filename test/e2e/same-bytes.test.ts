// The same bytes uploaded twice, as two Media Library files: two videos, each with its own job, dynamic
// image, cover and DynamicImageComplete, from one encode. A standalone worker, started by the tests, so
// that a second upload can arrive while the first's encode is still to run.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSample, resolveFfmpegBinaries } from '@dynamic-image/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import {
  apiClient,
  type Call,
  type Json,
  removeWorkerDirs,
  remux,
  startWorkerProcess,
  type WorkerProcess,
} from '../support/fleet.js';
import { waitUntil } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

let database: TestDatabase;
let cms: RunningCms;
let hooks: WebhookReceiver;
let call: Call;
let apiToken: string;
let worker: WorkerProcess | undefined;
let workflowId: string;
const clips: Record<string, string> = {};

beforeAll(async () => {
  const binaries = resolveFfmpegBinaries();
  const sample = async (seconds: number) =>
    generateSample(binaries, 'landscape', await mkdtemp(join(tmpdir(), 'dynamic-image-same-')), seconds);
  clips.after = await sample(3);
  clips.meanwhile = await sample(4);
  // Sound only, in an MP4 file: a video to the CMS until the worker finds no picture (AUDIO_ONLY).
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-same-'));
  const m4a = await generateSample(binaries, 'audio-only', dir, 2);
  clips.voice = await remux(m4a, join(dir, 'voice.mp4'), 'mp4');
  database = await startTestDatabase();
  cms = await startCms(database.url, {
    DYNAMIC_IMAGE_WORKER_MODE: 'standalone',
    // The sweep for sharing jobs a stopped CMS left waiting runs at this interval too.
    DYNAMIC_IMAGE_EVENT_RESEND_INTERVAL_SECONDS: '1',
  });
  const access = await bootstrapAccess(cms.url);
  apiToken = access.apiToken;
  call = apiClient(() => cms.url, apiToken);
  hooks = await startWebhookReceiver();
  const webhook = await fetch(`${cms.url}/admin/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${access.adminToken}` },
    body: JSON.stringify({ name: 'same', url: hooks.url, headers: {}, events: ['dynamic-image.complete'] }),
  });
  expect(webhook.status).toBe(201);
  const template = await call('POST', '/templates', {
    name: 'cover-gif',
    format: 'gif',
    fps: 8,
    width: 160,
    captureMethod: 'byDuration',
    start: 0,
    duration: 1,
    setAsDefaultThumbnail: true,
  });
  expect(template.status, JSON.stringify(template.json)).toBe(201);
  const workflow = await call('POST', '/workflows', {
    name: 'covers',
    nodes: [{ templateId: template.json.data.templateId }],
  });
  expect(workflow.status, JSON.stringify(workflow.json)).toBe(201);
  workflowId = workflow.json.data.workflowId;
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await cms?.stop();
  await hooks?.close();
  await database?.stop();
  await removeWorkerDirs();
});

async function startWorker() {
  worker = await startWorkerProcess({
    name: 'same-bytes',
    databaseUrl: database.url,
    secret: cms.secret,
    cmsUrl: cms.url,
  });
}

/** One upload with the workflow (a Media Library file of its own): its video id and its one job. */
async function upload(path: string, name: string): Promise<{ videoId: number; job: Json }> {
  const form = new FormData();
  form.append('workflowId', workflowId);
  form.append('files', new Blob([await readFile(path)], { type: 'video/mp4' }), name);
  const answer = await call('POST', '/upload', undefined, form);
  expect(answer.status, JSON.stringify(answer.json)).toBe(201);
  const [uploaded] = answer.json.data as Json[];
  expect(uploaded?.jobs).toHaveLength(1);
  return { videoId: uploaded?.video.videoId, job: uploaded?.jobs[0] };
}

function ended(jobId: string): Promise<Json> {
  return waitUntil(
    `job ${jobId} to end`,
    async () => {
      const { json } = await call('GET', `/jobs/${jobId}`);
      return ['success', 'failed'].includes(json.data?.state) ? (json.data as Json) : undefined;
    },
    { detail: () => `${cms.log().slice(-3000)}\n${worker?.log().slice(-2000) ?? 'no worker'}` },
  );
}

/** pg-boss's jobs among these: the encodes the CMS queued (a job is queued under its own id). */
async function queuedEncodes(jobIds: string[]): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    database.url,
    `select id::text from pgboss.job where name = 'dynamic-image.jobs' and id = any($1::uuid[])`,
    [jobIds],
  );
  return rows.map((r) => r.id);
}

/** What each video has: its job ended with success, its one dynamic image (the cover), and its one event. */
async function expectOwnResult(videoId: number, job: Json) {
  const done = await ended(job.jobId);
  expect(done, `${done.errorCode}: ${done.errorMessage}`).toMatchObject({ state: 'success', videoId });
  const images = (await call('GET', `/videos/${videoId}/dynamic-images`)).json.data as Json[];
  expect(images).toEqual([
    expect.objectContaining({
      jobId: job.jobId,
      videoId,
      dynamicImageId: done.dynamicImageId,
      isCover: true,
    }),
  ]);
  const info = (await call('GET', `/videos/${videoId}`)).json.data;
  expect(info.coverUrl).toBe(new URL(images[0]?.url, cms.url).toString());
  const event = await hooks.waitFor((e) => e.VideoId === videoId);
  expect(event).toMatchObject({
    EventType: 'DynamicImageComplete',
    Status: 'success',
    VideoId: videoId,
    JobId: job.jobId,
    DynamicImageId: done.dynamicImageId,
  });
  return { done, image: images[0] as Json, event };
}

/** The DynamicImageComplete events received for a video. */
function eventsOf(videoId: number) {
  return hooks.events.filter((e) => e.VideoId === videoId);
}

describe('the same bytes uploaded twice', () => {
  let encoded: { videoId: number; job: Json };

  it('while the first encode is still to run: both videos end as it does, each with its own records, from one encode', async () => {
    // No worker yet: the first upload's encode is queued and can't have ended when the second arrives.
    const first = await upload(clips.meanwhile as string, 'first.mp4');
    encoded = first;
    const second = await upload(clips.meanwhile as string, 'second.mp4');
    expect(second.videoId).not.toBe(first.videoId);
    expect(second.job).toMatchObject({ created: true, state: 'queued', videoId: second.videoId });
    expect(second.job.jobId).not.toBe(first.job.jobId);
    expect(second.job.encodeJobId).toBe(first.job.jobId);
    const voice = await upload(clips.voice as string, 'voice.mp4');
    const voiceAgain = await upload(clips.voice as string, 'voice-again.mp4');
    expect(voiceAgain.job.encodeJobId).toBe(voice.job.jobId);
    await startWorker();
    const a = await expectOwnResult(first.videoId, first.job);
    const b = await expectOwnResult(second.videoId, second.job);
    // One encode: only the first job went to the queue, and the worker ran only it.
    expect(await queuedEncodes([first.job.jobId, second.job.jobId])).toEqual([first.job.jobId]);
    expect(worker?.log()).toContain(`job ${first.job.jobId} attempt 1 done`);
    expect(worker?.log()).not.toContain(second.job.jobId);
    // Its result, the same Media Library file, described for each video.
    expect(b.image.fileId).toBe(a.image.fileId);
    expect(b.event.FileURL).toBe(a.event.FileURL);
    expect(eventsOf(first.videoId)).toHaveLength(1);
    expect(eventsOf(second.videoId)).toHaveLength(1);

    // A failed encode fails every job sharing it, each with its own event.
    for (const { videoId, job } of [voice, voiceAgain]) {
      expect(await ended(job.jobId)).toMatchObject({ state: 'failed', errorCode: 'AUDIO_ONLY', videoId });
      const event = await hooks.waitFor((e) => e.VideoId === videoId);
      expect(event).toMatchObject({
        Status: 'fail',
        ErrorCode: 'AUDIO_ONLY',
        JobId: job.jobId,
        VideoId: videoId,
      });
      expect(eventsOf(videoId)).toHaveLength(1);
    }
    expect(await queuedEncodes([voice.job.jobId, voiceAgain.job.jobId])).toEqual([voice.job.jobId]);
  });

  let first: { videoId: number; job: Json };
  let second: { videoId: number; job: Json };

  it('after the first has its result: the second video gets its own job, image, cover and event at once', async () => {
    if (!worker) await startWorker(); // (when the test before stopped short of starting it)
    first = await upload(clips.after as string, 'clip.mp4');
    const a = await expectOwnResult(first.videoId, first.job);
    second = await upload(clips.after as string, 'clip-again.mp4');
    expect(second.job).toMatchObject({
      created: true,
      state: 'success',
      videoId: second.videoId,
      encodeJobId: first.job.jobId,
    });
    expect(second.job.jobId).not.toBe(first.job.jobId);
    const b = await expectOwnResult(second.videoId, second.job);
    expect(await queuedEncodes([first.job.jobId, second.job.jobId])).toEqual([first.job.jobId]);
    expect(b.image.fileId).toBe(a.image.fileId);
    expect(b.image.dynamicImageId).not.toBe(a.image.dynamicImageId);
    expect(eventsOf(first.videoId)).toHaveLength(1);
    expect(eventsOf(second.videoId)).toHaveLength(1);
  });

  it('a sharing job left waiting by a CMS that stopped before the fan-out is ended by the sweep', async () => {
    // What a CMS stopped between the encode's end and the fan-out leaves: a job of a third file with the same
    // bytes, naming the ended encode, still queued (written as the CMS writes it).
    const form = new FormData();
    form.append(
      'files',
      new Blob([await readFile(clips.meanwhile as string)], { type: 'video/mp4' }),
      'third.mp4',
    );
    const third = await fetch(`${cms.url}/api/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}` },
      body: form,
    });
    const videoId = ((await third.json()) as Json[])[0]?.id as number;
    const jobId = randomUUID();
    await queryRows(
      database.url,
      `insert into dynamic_image_jobs (document_id, job_id, encode_job_id, state, progress, attempts, origin,
         template_id, template_snapshot, video_id, queued_at, created_at, updated_at, published_at)
       select $1, $2, job_id, 'queued', 0, 0, 'upload', template_id, template_snapshot, $3, now(), now(), now(), now()
         from dynamic_image_jobs where job_id = $4`,
      [randomUUID().replace(/-/g, '').slice(0, 24), jobId, videoId, encoded.job.jobId],
    );
    await expectOwnResult(videoId, { jobId });
    expect(eventsOf(videoId)).toHaveLength(1);
  });

  it("deleting one video's dynamic image keeps the file the other video's still uses; the last takes it", async () => {
    const [a] = (await call('GET', `/videos/${first.videoId}/dynamic-images`)).json.data as Json[];
    const [b] = (await call('GET', `/videos/${second.videoId}/dynamic-images`)).json.data as Json[];
    expect(b?.fileId).toBe(a?.fileId);
    expect((await call('DELETE', `/dynamic-images/${a?.dynamicImageId}`)).status).toBe(204);
    expect((await call('GET', `/videos/${first.videoId}`)).json.data).toMatchObject({
      coverUrl: null,
      dynamicImages: [],
    });
    const still = (await call('GET', `/videos/${second.videoId}`)).json.data;
    expect(still.dynamicImages).toEqual([expect.objectContaining({ dynamicImageId: b?.dynamicImageId })]);
    const served = await fetch(still.coverUrl);
    expect(served.status).toBe(200);
    expect(Number((await served.arrayBuffer()).byteLength)).toBe(b?.size);

    // The last record on the file takes it.
    expect((await call('DELETE', `/dynamic-images/${b?.dynamicImageId}`)).status).toBe(204);
    expect((await fetch(still.coverUrl)).status).toBe(404);
  });
});
