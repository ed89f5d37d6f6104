// Queues are made by whichever side comes first (the CMS, a worker, `dynamic-image send`), all with
// core's queueOptions; a queue that exists keeps its settings, whoever connects later.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEAD_LETTER_RETENTION_SECONDS, QUEUE_NAMES, queueOptions } from '@dynamic-image/core';
import type { PgBoss } from 'pg-boss';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { parseWorkerOptions } from '../src/config.js';
import { createBoss, ensureQueues, queueJobId } from '../src/queue.js';
import { type JobOutcome, startWorker } from '../src/worker.js';
import { emptyDir, jobFor, samples, workDir } from './support/helpers.js';

const databaseUrl = inject('databaseUrl');
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');

/** Settings a fleet chose for its live queue, unlike every default. */
const tuned = {
  retryLimit: 7,
  retryDelaySeconds: 11,
  retryBackoff: false,
  expireInSeconds: 3000,
  heartbeatSeconds: 45,
};

const settingsOf = async (boss: PgBoss, name: string) => {
  const q = await boss.getQueue(name);
  return (
    q && {
      retryLimit: q.retryLimit,
      retryDelay: q.retryDelay,
      retryBackoff: q.retryBackoff,
      retryDelayMax: q.retryDelayMax,
      expireInSeconds: q.expireInSeconds,
      heartbeatSeconds: q.heartbeatSeconds,
      deadLetter: q.deadLetter,
      notify: (q as { notify?: boolean }).notify,
      retentionSeconds: q.retentionSeconds,
    }
  );
};

const bosses: PgBoss[] = [];
async function connect(schema: string): Promise<PgBoss> {
  const boss = createBoss({ databaseUrl, schema }, 'queue-settings-test');
  boss.on('error', () => {});
  await boss.start();
  bosses.push(boss);
  return boss;
}

afterEach(async () => {
  for (const boss of bosses.splice(0)) await boss.stop({ graceful: false });
});

describe('queue creation', () => {
  it("a worker with default options makes a missing queue as the CMS does: core's queueOptions", async () => {
    const boss = await connect('pgboss_settings_new');
    await ensureQueues(boss, parseWorkerOptions({ databaseUrl }));
    const [dead, jobs] = queueOptions();
    expect(await settingsOf(boss, QUEUE_NAMES.jobs)).toMatchObject(jobs.options);
    expect(await settingsOf(boss, QUEUE_NAMES.deadLetter)).toMatchObject(dead.options);
    expect(dead.options.retentionSeconds).toBe(DEAD_LETTER_RETENTION_SECONDS);
  });

  it('a live queue keeps its settings when another side asks for others, and says which', async () => {
    const boss = await connect('pgboss_settings_live');
    await ensureQueues(boss, tuned);
    const before = await settingsOf(boss, QUEUE_NAMES.jobs);
    expect(before).toMatchObject({ retryLimit: 7, expireInSeconds: 3000, heartbeatSeconds: 45 });

    const other = await connect('pgboss_settings_live');
    const kept = await ensureQueues(other, { ...tuned, retryLimit: 1, expireInSeconds: 900 });
    expect(await settingsOf(other, QUEUE_NAMES.jobs)).toEqual(before);
    expect(kept).toEqual(expect.arrayContaining([expect.stringMatching(/^retryLimit 7 \(asked for 1\)/)]));
  });

  it('`dynamic-image send` queues in DYNAMIC_IMAGE_QUEUE_SCHEMA and leaves the live queue as it was', async () => {
    const schema = 'pgboss_settings_send';
    const boss = await connect(schema);
    await ensureQueues(boss, tuned);
    const before = await settingsOf(boss, QUEUE_NAMES.jobs);
    const out = join(await emptyDir('send-'), 'r.gif');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, 'send', samples.landscape, '--duration', '1', '-o', out],
      { env: { ...process.env, DATABASE_URL: databaseUrl, DYNAMIC_IMAGE_QUEUE_SCHEMA: schema } },
    );
    const { jobId, queueJobId: id } = JSON.parse(stdout) as { jobId: string; queueJobId: string };
    expect(id).toBe(queueJobId(jobId));
    const job = await boss.getJobById(QUEUE_NAMES.jobs, id);
    expect(job?.data).toMatchObject({ jobId, delivery: { kind: 'file', path: out } });
    // Sent under the live queue's settings, which are unchanged.
    // Its expiry follows its own time limit (DYNAMIC_IMAGE_JOB_TIMEOUT_SECONDS, 600 s), not the queue's.
    expect(job).toMatchObject({ retryLimit: 7, heartbeatSeconds: 45, expireInSeconds: 660 });
    expect(await settingsOf(boss, QUEUE_NAMES.jobs)).toEqual(before);
  });

  it('`dynamic-image queue` shows the live settings, and --update is the one way to change them', async () => {
    const schema = 'pgboss_settings_update';
    const boss = await connect(schema);
    await ensureQueues(boss, tuned);
    const run = (args: string[], env: Record<string, string> = {}) =>
      promisify(execFile)(process.execPath, [cli, 'queue', ...args], {
        env: { ...process.env, DATABASE_URL: databaseUrl, DYNAMIC_IMAGE_QUEUE_SCHEMA: schema, ...env },
      }).then((r) => JSON.parse(r.stdout));
    const wanted = { DYNAMIC_IMAGE_RETRY_LIMIT: '4', DYNAMIC_IMAGE_HEARTBEAT_SECONDS: '20' };
    expect(await run([], wanted)).toMatchObject({ retryLimit: 7, heartbeatSeconds: 45 });
    expect(await run(['--update'], wanted)).toMatchObject({
      retryLimit: 4,
      heartbeatSeconds: 20,
      deadLetter: QUEUE_NAMES.deadLetter,
    });
    expect(await settingsOf(boss, QUEUE_NAMES.jobs)).toMatchObject({ retryLimit: 4, heartbeatSeconds: 20 });
  });

  it("a worker decides a failure is final by the job's retry limit, not its own option", async () => {
    const schema = 'pgboss_settings_final';
    const boss = await connect(schema);
    // The queue was made (by the CMS, say) with no retries; this worker's own option says 2.
    await ensureQueues(boss, { ...tuned, retryLimit: 0 });
    let first: (outcome: JobOutcome) => void = () => {};
    const outcome = new Promise<JobOutcome>((resolve) => {
      first = resolve;
    });
    const worker = await startWorker(
      {
        databaseUrl,
        schema,
        retryLimit: 2,
        concurrency: 1,
        pollingIntervalSeconds: 0.5,
        // The job must pass the worker's trust checks (job-trust.ts, source.ts) to fail where this test
        // looks: its file delivery lands in this folder, and its source's host is one the worker reads from.
        fileDeliveryDir: workDir,
        allowedHosts: ['127.0.0.1:9'],
      },
      { onOutcome: (o) => first(o), log: () => {} },
    );
    try {
      const job = jobFor('http://127.0.0.1:9/nothing-listens-here.mp4');
      await boss.send(QUEUE_NAMES.jobs, job, { id: queueJobId(job.jobId) });
      expect(await outcome).toMatchObject({
        status: 'failed',
        attempt: 1,
        final: true,
        error: { code: 'SOURCE_UNREACHABLE' },
      });
    } finally {
      await worker.stop();
    }
  });
});
