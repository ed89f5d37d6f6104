import { jobExpireInSeconds, QUEUE_NAMES } from '@dynamic-image/core';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseWorkerOptions, WorkerConfigError } from '../src/config.js';
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
