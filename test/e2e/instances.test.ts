import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DynamicImageJobData,
  type DynamicImageResult,
  QUEUE_NAMES,
  RESULT_HEADER,
  SIGNATURE_HEADER,
} from '@dynamic-image/core';
import { createBoss, generateSample, resolveFfmpegBinaries, runPipeline } from '@dynamic-image/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import { leftovers, removeWorkerDirs, startWorkerProcess, waitForFinalStates } from '../support/fleet.js';
import { signature } from '../support/signature.js';
import { waitUntil } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

type Json = Record<string, any>;

// Two CMS instances on one database and no worker: jobs stay queued, so the test can decide their fate.
let database: TestDatabase;
let a: RunningCms;
let b: RunningCms;
let hooks: WebhookReceiver;
let apiToken: string;

async function call(cms: RunningCms, method: string, path: string, body?: unknown, form?: FormData) {
  const response = await fetch(`${cms.url}/api/dynamic-image${path}`, {
    method,
    headers: { authorization: `Bearer ${apiToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: form ?? (body ? JSON.stringify(body) : undefined),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

beforeAll(async () => {
  database = await startTestDatabase();
  a = await startCms(database.url, { DYNAMIC_IMAGE_WORKER_MODE: 'off' });
  const access = await bootstrapAccess(a.url);
  apiToken = access.apiToken;
  hooks = await startWebhookReceiver();
  await fetch(`${a.url}/admin/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${access.adminToken}` },
    body: JSON.stringify({ name: 'e2e', url: hooks.url, headers: {}, events: ['dynamic-image.complete'] }),
  });
  // Started after the webhook exists, so both instances send it. As behind a load balancer, both give
  // workers one public URL (a's here): a worker delivers only to the CMS it was set up for.
  b = await startCms(database.url, { DYNAMIC_IMAGE_WORKER_MODE: 'off', PUBLIC_URL: a.url });
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await hooks?.close();
  await database?.stop();
});

describe('two CMS instances behind one database', () => {
  let videoId: number;
  let templateId: string;
  let queuedJobId: string;
  let workflowId: string;

  it('an upload makes its jobs once, and the same job asked of both instances at once is made once', async () => {
    templateId = (
      await call(a, 'POST', '/templates', {
        name: 'twice-gif',
        format: 'gif',
        fps: 5,
        captureMethod: 'byDuration',
        duration: 1,
      })
    ).json.data.templateId;
    const workflow = (await call(a, 'POST', '/workflows', { name: 'twice', nodes: [{ templateId }] })).json
      .data;
    workflowId = workflow.workflowId;
    const clip = await generateSample(
      resolveFfmpegBinaries(),
      'landscape',
      await mkdtemp(join(tmpdir(), 'dynamic-image-e2e-')),
      3,
    );
    const form = new FormData();
    form.append('workflowId', workflow.workflowId);
    form.append('files', new Blob([await readFile(clip)], { type: 'video/mp4' }), 'clip.mp4');
    const upload = await call(b, 'POST', '/upload', undefined, form);
    expect(upload.status).toBe(201);
    videoId = upload.json.data[0].video.videoId;
    queuedJobId = upload.json.data[0].jobs[0].jobId;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await call(a, 'GET', `/jobs?videoId=${videoId}`)).json.data).toHaveLength(1);

    const override = { overrideParams: { width: 200 } };
    const [fromA, fromB] = await Promise.all([
      call(a, 'POST', '/jobs', { videoId, templateId, ...override }),
      call(b, 'POST', '/jobs', { videoId, templateId, ...override }),
    ]);
    expect(fromA.json.data.jobId).toBe(fromB.json.data.jobId);
    expect([fromA.json.data.created, fromB.json.data.created].sort()).toEqual([false, true]);
    expect((await call(a, 'GET', `/jobs?videoId=${videoId}`)).json.data).toHaveLength(2);
  });

  it('a job whose retries run out ends failed, with one event, even with two instances listening', async () => {
    const boss = createBoss({ databaseUrl: database.url, schema: 'pgboss' }, 'e2e-chaos');
    boss.on('error', () => {});
    await boss.start();
    try {
      // Plays the part of workers that keep dying: every attempt of the queued job fails.
      for (let attempt = 0; attempt < 10; attempt++) {
        const [job] = await boss.fetch(QUEUE_NAMES.jobs, { ignoreStartAfter: true, batchSize: 1 });
        if (!job) break;
        await boss.fail(QUEUE_NAMES.jobs, job.id, {
          status: 'failed',
          error: { code: 'TIMEOUT', message: 'worker lost' },
        });
      }
    } finally {
      await boss.stop({ graceful: false });
    }
    const job = await waitUntil(
      `job ${queuedJobId} to fail`,
      async () => {
        const data = (await call(a, 'GET', `/jobs/${queuedJobId}`)).json.data as Json;
        return data.state === 'failed' ? data : undefined;
      },
      { timeout: 30_000, interval: 300 },
    );
    expect(job).toMatchObject({ state: 'failed', errorCode: 'TIMEOUT', errorMessage: 'worker lost' });
    await hooks.waitFor((e) => e.JobId === queuedJobId);
    await new Promise((r) => setTimeout(r, 3000));
    expect(hooks.events.filter((e) => e.JobId === queuedJobId)).toHaveLength(1);
    expect(hooks.events.find((e) => e.JobId === queuedJobId)).toMatchObject({
      Status: 'fail',
      ErrorCode: 'TIMEOUT',
      VideoId: videoId,
    });
  });

  it('the same signed result posted twice to each instance makes one dynamic image and one event', async () => {
    const submitted = await call(a, 'POST', '/jobs', { videoId, templateId, overrideParams: { width: 180 } });
    expect(submitted.status).toBe(201);
    const jobId = submitted.json.data.jobId as string;
    const boss = createBoss({ databaseUrl: database.url, schema: 'pgboss' }, 'e2e-twice');
    boss.on('error', () => {});
    await boss.start();
    try {
      // Plays the part of a worker whose deliveries are repeated (a retry after a lost answer).
      const [job] = await boss.fetch<DynamicImageJobData | string>(QUEUE_NAMES.jobs, { batchSize: 1 });
      const data = (typeof job?.data === 'string' ? JSON.parse(job.data) : job?.data) as DynamicImageJobData;
      expect(data.jobId).toBe(jobId);
      if (data.delivery.kind !== 'http') throw new Error('http delivery expected');
      const urls = [data.delivery.url, data.delivery.url.replace(a.url, b.url)];
      expect(urls[1]).not.toBe(urls[0]);
      // Each post is signed afresh (its own nonce), as a worker re-sending the same result does.
      const post = (url: string, bytes: Buffer, result: DynamicImageResult) => {
        const target = new URL(url);
        const resultHeader = Buffer.from(JSON.stringify(result)).toString('base64url');
        return fetch(target, {
          method: 'POST',
          body: bytes,
          headers: {
            'content-type': 'application/octet-stream',
            [SIGNATURE_HEADER]: signature(a.secret, { path: target.pathname, body: bytes, resultHeader }),
            [RESULT_HEADER]: resultHeader,
          },
        }).then((r) => r.status);
      };
      await runPipeline(
        data,
        {
          binaries: resolveFfmpegBinaries(),
          tmpDir: await mkdtemp(join(tmpdir(), 'dynamic-image-e2e-')),
          // What a worker set up for this CMS allows: sources on the CMS's own origin (a loopback one here).
          sourcePolicy: { allowFile: false, allowedHosts: [new URL(a.url).host] },
          timeoutSeconds: 60,
        },
        async (output) => {
          const bytes = await readFile(output.file);
          // At once to both instances, then again to each.
          expect(
            await Promise.all([
              post(urls[0] as string, bytes, output.result),
              post(urls[1] as string, bytes, output.result),
            ]),
          ).toEqual([200, 200]);
          expect(await post(urls[1] as string, bytes, output.result)).toBe(200);
          expect(await post(urls[0] as string, bytes, output.result)).toBe(200);
          return output.result;
        },
      );
      await boss.complete(QUEUE_NAMES.jobs, job?.id as string);
    } finally {
      await boss.stop({ graceful: false });
    }
    const done = (await call(b, 'GET', `/jobs/${jobId}`)).json.data;
    expect(done).toMatchObject({ state: 'success', progress: 100, result: { width: 180 } });
    const images = (await call(a, 'GET', `/videos/${videoId}/dynamic-images`)).json.data as Json[];
    expect(images.filter((i) => i.jobId === jobId)).toHaveLength(1);
    await hooks.waitFor((e) => e.JobId === jobId);
    await new Promise((r) => setTimeout(r, 3000));
    expect(hooks.events.filter((e) => e.JobId === jobId)).toHaveLength(1);
    expect(hooks.events.find((e) => e.JobId === jobId)).toMatchObject({
      Status: 'success',
      DynamicImageId: done.dynamicImageId,
      Width: 180,
    });
  });

  it('a signature used on one instance is refused by the other, even at once', async () => {
    const jobId = (await call(a, 'POST', '/jobs', { videoId, templateId, overrideParams: { width: 190 } }))
      .json.data.jobId as string;
    const path = `/api/dynamic-image/worker/jobs/${jobId}/progress`;
    const body = new TextEncoder().encode(
      JSON.stringify({ jobId, percent: 10, stage: 'encode', attempt: 1 }),
    );
    const header = signature(a.secret, { path, body });
    const post = (cms: RunningCms) =>
      fetch(`${cms.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/octet-stream', [SIGNATURE_HEADER]: header },
      }).then(async (r) => ({
        status: r.status,
        code: r.status === 204 ? undefined : ((await r.json()) as Json).error?.code,
      }));
    expect(await post(a)).toEqual({ status: 204, code: undefined });
    expect(await post(b)).toEqual({ status: 401, code: 'Unauthorized.SignatureReplayed' });
    // Another request sent to both at the same moment: exactly one of them takes it.
    const twin = signature(a.secret, { path, body });
    const both = await Promise.all(
      [a, b].map((cms) =>
        fetch(`${cms.url}${path}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/octet-stream', [SIGNATURE_HEADER]: twin },
        }).then((r) => r.status),
      ),
    );
    expect(both.sort()).toEqual([204, 401]);
  });

  it('a job done by a standalone worker is stored once, and its event is sent once', async () => {
    const worker = await startWorkerProcess({
      name: 'instances',
      databaseUrl: database.url,
      secret: a.secret,
      cmsUrl: a.url,
    });
    try {
      // Another clip (another hash), uploaded through the second instance; both instances send
      // webhooks, and only the one that stores the result may send its event.
      const clip = await generateSample(
        resolveFfmpegBinaries(),
        'landscape',
        await mkdtemp(join(tmpdir(), 'dynamic-image-e2e-')),
        4,
      );
      const form = new FormData();
      form.append('workflowId', workflowId);
      form.append('files', new Blob([await readFile(clip)], { type: 'video/mp4' }), 'clip4.mp4');
      const upload = await call(b, 'POST', '/upload', undefined, form);
      expect(upload.json.data[0].jobs).toHaveLength(1);
      const jobIds = [upload.json.data[0].jobs[0].jobId as string];
      const rows = await waitForFinalStates(database.url, jobIds, 60_000);
      expect(
        rows.map((r) => [r.state, r.images, r.files]),
        worker.log(),
      ).toEqual([['success', 1, 1]]);
      await new Promise((r) => setTimeout(r, 3000));
      for (const jobId of jobIds) {
        expect(hooks.events.filter((e) => e.JobId === jobId).map((e) => e.Status)).toEqual(['success']);
      }
      expect(await leftovers(worker.tmpDir)).toEqual([]);
      // Every event of this file was sent in the normal path: none is left for the re-send sweep.
      expect(await queryRows(database.url, 'select job_id from dynamic_image_pending_events')).toEqual([]);
    } finally {
      await worker.kill('SIGTERM');
      await removeWorkerDirs();
    }
  });
});
