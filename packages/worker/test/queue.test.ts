import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamicImageError, QUEUE_NAMES } from '@dynamic-image/core';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inspectAnimation } from '../src/animation.js';
import { createBoss, ensureQueues, sendJob } from '../src/queue.js';
import type { SampleKind } from '../src/samples.js';
import { type JobOutcome, type RunningWorker, startWorker } from '../src/worker.js';
import { emptyDir, jobFor, samples, workDir } from './support/helpers.js';

const databaseUrl = inject('databaseUrl');
const queueOptions = {
  databaseUrl,
  schema: 'pgboss_test',
  retryLimit: 1,
  retryDelaySeconds: 0,
  retryBackoff: false,
  expireInSeconds: 120,
  heartbeatSeconds: 10,
};

/** Collects outcomes by jobId and lets a test wait for a job's final one. */
function outcomes() {
  const seen = new Map<string, JobOutcome[]>();
  const waiters = new Map<string, () => void>();
  return {
    record(outcome: JobOutcome) {
      seen.set(outcome.jobId, [...(seen.get(outcome.jobId) ?? []), outcome]);
      if (outcome.status === 'success' || outcome.final) waiters.get(outcome.jobId)?.();
    },
    all: (jobId: string) => seen.get(jobId) ?? [],
    async final(jobId: string, timeoutMs = 60_000): Promise<JobOutcome> {
      const done = () => {
        const list = seen.get(jobId) ?? [];
        return list.find((o) => o.status === 'success' || o.final);
      };
      if (!done()) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no final outcome for ${jobId}`)), timeoutMs);
          waiters.set(jobId, () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return done() as JobOutcome;
    },
  };
}

describe('jobs through pg-boss on a real Postgres', () => {
  let worker: RunningWorker;
  let sender: PgBoss;
  const seen = outcomes();
  const failDeliveryOnce = new Set<string>();

  beforeAll(async () => {
    worker = await startWorker(
      {
        ...queueOptions,
        concurrency: 2,
        allowFileSources: true,
        fileDeliveryDir: workDir,
        // The one http source here: a port on loopback where nothing listens.
        allowedHosts: ['127.0.0.1:9'],
        pollingIntervalSeconds: 0.5,
        jobTimeoutSeconds: 60,
      },
      {
        onOutcome: (o) => seen.record(o),
        log: process.env.DEBUG_WORKER ? console.log : () => {},
        deliver: async (job, output) => {
          const { deliverToFile } = await import('../src/delivery.js');
          await deliverToFile(job, output);
          // Simulates a worker that delivered, then died before it could mark the job done.
          if (failDeliveryOnce.delete(job.jobId))
            throw new DynamicImageError('INTERNAL', 'lost after delivery');
        },
      },
    );
    sender = createBoss(queueOptions, 'test-sender');
    sender.on('error', () => {});
    await sender.start();
    await ensureQueues(sender, queueOptions);
  });

  afterAll(async () => {
    await worker?.stop();
    await sender?.stop({ graceful: false });
  });

  // [clip, GIF height, WebP height] at 320 wide: WebP takes the nearest even height.
  const goodClips: Array<[SampleKind, number, number]> = [
    ['landscape', 180, 180],
    ['portrait-rotated', 569, 568],
    ['anamorphic', 180, 180],
    ['odd-size', 242, 242],
    ['variable-frame-rate', 180, 180],
  ];
  it.each(
    goodClips.flatMap(([kind, gifHeight, webpHeight]) => [
      [kind, 'gif', gifHeight] as const,
      [kind, 'webp', webpHeight] as const,
    ]),
  )('turns %s into a %s and completes the pg-boss job', async (kind, format, expectHeight) => {
    const job = jobFor(samples[kind], { format, width: 320 });
    const id = await sendJob(sender, job);
    expect(id).toBeTruthy();
    const outcome = await seen.final(job.jobId);
    expect(outcome.status).toBe('success');
    if (job.delivery.kind !== 'file') throw new Error();
    const info = inspectAnimation(await readFile(job.delivery.path));
    expect(info).toMatchObject({ format, width: 320, height: expectHeight, loopCount: 0 });
    expect(Math.abs(info.durationMs - 2000)).toBeLessThanOrEqual(110);
    const stored = await settled(sender, id as string);
    expect(stored?.state).toBe('completed');
    expect(stored?.output).toMatchObject({
      status: 'success',
      result: { format, width: 320, height: expectHeight },
    });
  });

  it.each([
    ['audio-only', 'AUDIO_ONLY'],
    ['random-bytes', 'DAMAGED_SOURCE'],
    ['truncated-mp4', 'ABNORMAL_CONTAINER'],
    ['truncated-faststart-mp4', 'DAMAGED_SOURCE'],
  ] as const)('%s fails once, without retry, with %s, into the dead-letter queue', async (kind, code) => {
    const job = jobFor(samples[kind], { start: 3, duration: 2 });
    const id = (await sendJob(sender, job)) as string;
    const outcome = await seen.final(job.jobId);
    expect(outcome).toMatchObject({ status: 'failed', final: true, attempt: 1, error: { code } });
    expect(seen.all(job.jobId)).toHaveLength(1);
    const stored = await settled(sender, id);
    expect(stored?.state).toBe('failed');
    expect(stored?.output).toMatchObject({ status: 'failed', error: { code } });
  });

  it('a window outside the video fails with WINDOW_OUT_OF_RANGE', async () => {
    const job = jobFor(samples.landscape, { start: 60 });
    await sendJob(sender, job);
    expect(await seen.final(job.jobId)).toMatchObject({
      status: 'failed',
      error: { code: 'WINDOW_OUT_OF_RANGE' },
    });
  });

  it('a scheme that is not allowed fails with UNSUPPORTED_SOURCE', async () => {
    const job = jobFor('ftp://127.0.0.1/video.mp4');
    await sendJob(sender, job);
    expect(await seen.final(job.jobId)).toMatchObject({
      status: 'failed',
      final: true,
      error: { code: 'UNSUPPORTED_SOURCE' },
    });
  });

  it('a job past its time limit fails with TIMEOUT after its retries', async () => {
    const job = {
      // Slow but within the default budget (a 4096 px GIF at 60 fps is refused by it).
      ...jobFor(samples.landscape, { format: 'webp', width: 4096, fps: 10, start: 0, duration: 6 }),
      timeoutSeconds: 0.5,
    };
    await sendJob(sender, job);
    const outcome = await seen.final(job.jobId);
    expect(outcome).toMatchObject({ status: 'failed', final: true, attempt: 2, error: { code: 'TIMEOUT' } });
  });

  it('an unwritable destination fails with STORAGE_UNAVAILABLE', async () => {
    // A file where the destination folder should be: even root can't write there.
    const blocker = join(await emptyDir('blocked-'), 'not-a-folder');
    await writeFile(blocker, '');
    const job = jobFor(samples.landscape, { width: 160 }, join(blocker, 'out.gif'));
    await sendJob(sender, job);
    expect(await seen.final(job.jobId)).toMatchObject({
      status: 'failed',
      error: { code: 'STORAGE_UNAVAILABLE' },
    });
  });

  it('an invalid payload fails with INVALID_JOB', async () => {
    const id = (await sender.send(QUEUE_NAMES.jobs, {
      version: 1,
      jobId: 'broken-payload',
      template: { fps: 99 },
    })) as string;
    const outcome = await seen.final('broken-payload');
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'INVALID_JOB' } });
    expect((await settled(sender, id))?.state).toBe('failed');
  });

  it('a retryable failure is retried up to the limit, then dead-lettered', async () => {
    const job = jobFor('http://127.0.0.1:9/nothing-listens-here.mp4');
    await sendJob(sender, job);
    const outcome = await seen.final(job.jobId);
    expect(outcome).toMatchObject({
      status: 'failed',
      final: true,
      attempt: 2,
      error: { code: 'SOURCE_UNREACHABLE' },
    });
    expect(seen.all(job.jobId).map((o) => o.attempt)).toEqual([1, 2]);
  });

  it('a payload that is not JSON is dead-lettered as INVALID_JOB on its first attempt', async () => {
    // Stored as a JSON string, as a sender that serialised its payload twice (or by hand) leaves it.
    const id = (await sender.send(QUEUE_NAMES.jobs, '{"version":1,"jobId":' as unknown as object)) as string;
    const stored = await settled(sender, id);
    expect(stored?.state).toBe('failed');
    expect(stored?.retryCount).toBe(0);
    expect(stored?.output).toMatchObject({ status: 'failed', error: { code: 'INVALID_JOB' } });
    expect(seen.all(id)).toMatchObject([
      { status: 'failed', final: true, attempt: 1, error: { code: 'INVALID_JOB' } },
    ]);
    expect(
      (await sender.fetch(QUEUE_NAMES.deadLetter, { batchSize: 100 }))?.map((j) => j.data),
    ).toContainEqual('{"version":1,"jobId":');
  });

  // This worker's retryLimit is 1; jobs sent with their own limit must be final when pg-boss says so.
  it.each([0, 2])(
    'a job sent with retryLimit %i is final exactly at its own last attempt',
    async (retryLimit) => {
      const job = jobFor('http://127.0.0.1:9/nothing-listens-here.mp4');
      const id = (await sendJob(sender, job, { retryLimit, retryDelay: 0 })) as string;
      const stored = await settled(sender, id);
      expect(stored?.state).toBe('failed');
      const attempts = seen.all(job.jobId).map((o) => [o.attempt, o.status === 'failed' && o.final]);
      expect(attempts).toEqual(Array.from({ length: retryLimit + 1 }, (_, i) => [i + 1, i === retryLimit]));
    },
  );

  it('sending the same job twice queues it once', async () => {
    const job = jobFor(samples.landscape, { width: 160 });
    const first = await sendJob(sender, job);
    const second = await sendJob(sender, job);
    expect(first).toBeTruthy();
    expect(second).toBeNull();
    await seen.final(job.jobId);
    // Even after it ran, the same jobId is not queued again.
    expect(await sendJob(sender, job)).toBeNull();
    expect(seen.all(job.jobId)).toHaveLength(1);
  });

  it('a job retried after delivering leaves exactly one result', async () => {
    const out = await emptyDir('retry-out-');
    const job = jobFor(samples.landscape, { width: 160 }, join(out, 'result.gif'));
    failDeliveryOnce.add(job.jobId);
    await sendJob(sender, job);
    const outcome = await seen.final(job.jobId);
    expect(outcome).toMatchObject({ status: 'success', attempt: 2 });
    expect(await readdir(out)).toEqual(['result.gif']);
  });
});

describe('a standalone worker process', () => {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');

  it('finishes the job in hand on SIGTERM, then exits', async () => {
    const options = { ...queueOptions, schema: 'pgboss_sigterm' };
    const sender = createBoss(options, 'test-sender');
    sender.on('error', () => {});
    await sender.start();
    await ensureQueues(sender, options);
    const child = spawn(
      process.execPath,
      [cli, 'work', '--allow-file-sources', '--file-delivery-dir', workDir, '--concurrency', '1'],
      {
        env: { ...process.env, DATABASE_URL: databaseUrl, DYNAMIC_IMAGE_QUEUE_SCHEMA: options.schema },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    child.stdout.on('data', (d) => {
      log += d;
    });
    child.stderr.on('data', (d) => {
      log += d;
    });
    try {
      await waitFor(
        () => log.includes('working on'),
        30_000,
        () => log,
      );
      const out = await emptyDir('sigterm-');
      const job = jobFor(
        samples.landscape,
        { width: 640, fps: 25, start: 0, duration: 5 },
        join(out, 'r.gif'),
      );
      const id = (await sendJob(sender, job)) as string;
      await waitFor(
        async () => (await sender.getJobById(QUEUE_NAMES.jobs, id))?.state === 'active',
        30_000,
        () => log,
      );
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
      expect((await sender.getJobById(QUEUE_NAMES.jobs, id))?.state).toBe('completed');
      expect(inspectAnimation(await readFile(join(out, 'r.gif'))).width).toBe(640);
    } finally {
      child.kill('SIGKILL');
      await sender.stop({ graceful: false });
    }
  });
});

async function settled(boss: PgBoss, id: string) {
  let state: string | undefined;
  await waitFor(
    async () => {
      state = (await boss.getJobById(QUEUE_NAMES.jobs, id))?.state;
      return state === 'completed' || state === 'failed';
    },
    30_000,
    () => `job ${id} is ${state}`,
  );
  return boss.getJobById(QUEUE_NAMES.jobs, id);
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting; log:\n${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
