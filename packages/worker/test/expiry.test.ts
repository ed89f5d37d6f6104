import { jobExpireInSeconds, QUEUE_NAMES } from '@dynamic-image/core';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseWorkerOptions, WorkerConfigError, workerOptionsFromEnv } from '../src/config.js';
import { createBoss, ensureQueues, sendJob } from '../src/queue.js';
import { jobFor, samples } from './support/helpers.js';

const databaseUrl = inject('databaseUrl');

describe('job time limits and pg-boss expiry', () => {
  it('a worker accepts time limits above the 15-minute queue default', () => {
    expect(parseWorkerOptions({ databaseUrl })).toMatchObject({
      jobTimeoutSeconds: 600,
      expireInSeconds: 900,
    });
    expect(parseWorkerOptions({ databaseUrl, jobTimeoutSeconds: 3600 })).toMatchObject({
      jobTimeoutSeconds: 3600,
      expireInSeconds: jobExpireInSeconds(3600),
    });
    expect(() => parseWorkerOptions({ databaseUrl, jobTimeoutSeconds: 600, expireInSeconds: 300 })).toThrow(
      /jobTimeoutSeconds: jobTimeoutSeconds must be below expireInSeconds/,
    );
    expect(() => parseWorkerOptions({ databaseUrl, jobTimeoutSeconds: 7 * 3600 })).toThrow(WorkerConfigError);
  });

  it('reads expiry, heartbeat, retries and shutdown grace from the environment', () => {
    const options = parseWorkerOptions({
      databaseUrl,
      ...workerOptionsFromEnv({
        DYNAMIC_IMAGE_JOB_TIMEOUT_SECONDS: '1800',
        DYNAMIC_IMAGE_EXPIRE_SECONDS: '2400',
        DYNAMIC_IMAGE_HEARTBEAT_SECONDS: '20',
        DYNAMIC_IMAGE_RETRY_LIMIT: '4',
        DYNAMIC_IMAGE_RETRY_DELAY_SECONDS: '10',
        DYNAMIC_IMAGE_RETRY_BACKOFF: 'false',
        DYNAMIC_IMAGE_SHUTDOWN_GRACE_SECONDS: '90',
      }),
    });
    expect(options).toMatchObject({
      jobTimeoutSeconds: 1800,
      expireInSeconds: 2400,
      heartbeatSeconds: 20,
      retryLimit: 4,
      retryDelaySeconds: 10,
      retryBackoff: false,
      shutdownGraceSeconds: 90,
    });
    expect(() =>
      parseWorkerOptions({ databaseUrl, ...workerOptionsFromEnv({ DYNAMIC_IMAGE_HEARTBEAT_SECONDS: '5' }) }),
    ).toThrow(/heartbeatSeconds/);
  });

  describe('on a real pg-boss', () => {
    let boss: PgBoss;
    const queue = {
      databaseUrl,
      schema: 'pgboss_expiry',
      retryLimit: 0,
      retryDelaySeconds: 0,
      retryBackoff: false,
      expireInSeconds: 120,
      heartbeatSeconds: 10,
    };
    beforeAll(async () => {
      boss = createBoss(queue, 'expiry-test');
      await boss.start();
      await ensureQueues(boss, queue);
    });
    afterAll(async () => {
      await boss?.stop({ graceful: false });
    });

    it('each job expires after its own time limit plus a margin, long or short', async () => {
      for (const timeoutSeconds of [3 * 3600, 5]) {
        const id = await sendJob(boss, { ...jobFor(samples.landscape), timeoutSeconds });
        const job = await boss.getJobById(QUEUE_NAMES.jobs, id as string);
        expect(job?.expireInSeconds).toBe(timeoutSeconds + 60);
      }
      // Without a time limit of its own, the queue's expiry applies.
      const id = await sendJob(boss, jobFor(samples.landscape));
      expect((await boss.getJobById(QUEUE_NAMES.jobs, id as string))?.expireInSeconds).toBe(120);
    });
  });
});
