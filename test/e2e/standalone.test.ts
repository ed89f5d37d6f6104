import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSample, inspectAnimation, resolveFfmpegBinaries } from '@dynamic-image/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { bootstrapAccess, type RunningCms, repoRoot, startCms } from '../support/cms.js';
import { waitUntil } from '../support/wait.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await startTestDatabase();
});

afterAll(async () => {
  await database?.stop();
});

describe('start-up configuration', () => {
  it('a wrong plugin setting stops start-up with a message naming the key', async () => {
    const failure = await startCms(database.url, { DYNAMIC_IMAGE_WORKER_MODE: 'sometimes' }).then(
      async (cms) => {
        await cms.stop();
        return null;
      },
      (err: Error) => err,
    );
    expect(failure?.message).toContain('did not start');
    expect(failure?.message).toContain('worker.mode');
  });
});

describe('a standalone worker process, sharing only Postgres and HTTP with the CMS', () => {
  let cms: RunningCms;
  let worker: ChildProcess;
  let workerLog = '';

  beforeAll(async () => {
    cms = await startCms(database.url, { DYNAMIC_IMAGE_WORKER_MODE: 'standalone' });
    worker = spawn(
      process.execPath,
      [join(repoRoot, 'packages', 'worker', 'dist', 'cli.js'), 'work', '--concurrency', '1'],
      {
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          DYNAMIC_IMAGE_WORKER_SECRET: cms.secret,
          DYNAMIC_IMAGE_CMS_URL: cms.url,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    worker.stdout?.on('data', (d) => {
      workerLog += d;
    });
    worker.stderr?.on('data', (d) => {
      workerLog += d;
    });
  });

  afterAll(async () => {
    worker?.kill('SIGTERM');
    await cms?.stop();
  });

  it('does a job end to end over HTTP', async () => {
    const { apiToken } = await bootstrapAccess(cms.url);
    const call = async (method: string, path: string, body?: unknown, form?: FormData) => {
      const response = await fetch(`${cms.url}/api/dynamic-image${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiToken}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: form ?? (body ? JSON.stringify(body) : undefined),
      });
      return (await response.json()) as { data: Record<string, any> };
    };
    const template = (
      await call('POST', '/templates', {
        name: 'standalone-webp',
        format: 'webp',
        fps: 8,
        width: 256,
        captureMethod: 'byDuration',
        duration: 1.5,
      })
    ).data;
    const workflow = (
      await call('POST', '/workflows', { name: 'standalone', nodes: [{ templateId: template.templateId }] })
    ).data;
    const clip = await generateSample(
      resolveFfmpegBinaries(),
      'landscape',
      await mkdtemp(join(tmpdir(), 'dynamic-image-e2e-')),
      4,
    );
    const form = new FormData();
    form.append('workflowId', workflow.workflowId);
    form.append('files', new Blob([await readFile(clip)], { type: 'video/mp4' }), 'clip.mp4');
    const uploaded = await call('POST', '/upload', undefined, form);
    const jobId = uploaded.data[0].jobs[0].jobId;
    const job = await waitUntil(
      `job ${jobId} to end`,
      async () => {
        const data = (await call('GET', `/jobs/${jobId}`)).data;
        return ['success', 'failed'].includes(data?.state) ? data : undefined;
      },
      { timeout: 60_000, interval: 300, detail: () => workerLog },
    );
    expect(job, workerLog).toMatchObject({
      state: 'success',
      attempts: 1,
      result: { format: 'webp', width: 256, height: 144 },
    });
    const images = (await call('GET', `/videos/${job.videoId}/dynamic-images`)).data;
    const bytes = new Uint8Array(await (await fetch(images[0].url)).arrayBuffer());
    expect(inspectAnimation(bytes)).toMatchObject({ format: 'webp', width: 256, height: 144, loopCount: 0 });
    // The job ran in the standalone process: the CMS started no worker of its own.
    expect(workerLog).toContain('working on dynamic-image.jobs');
    expect(cms.log()).not.toContain('[dynamic-image worker]');
  });
});
