// pg-boss set-up: the queue, its dead-letter queue and how jobs are sent. The worker loop lives in worker.ts.

import { createHash } from 'node:crypto';
import {
  type DynamicImageJobData,
  type JobQueueTuning,
  jobExpireInSeconds,
  QUEUE_NAMES,
  queueOptions,
} from '@dynamic-image/core';
import { PgBoss, type SendOptions } from 'pg-boss';
import type { WorkerOptions } from './config.js';

export function createBoss(
  options: Pick<WorkerOptions, 'databaseUrl' | 'schema'> &
    Partial<Pick<WorkerOptions, 'superviseIntervalSeconds' | 'ssl'>>,
  applicationName: string,
): PgBoss {
  const supervise = options.superviseIntervalSeconds;
  return new PgBoss({
    connectionString: options.databaseUrl,
    ...(options.ssl !== undefined ? { ssl: options.ssl as boolean | object } : {}),
    schema: options.schema,
    application_name: applicationName,
    // Wakes idle workers the moment a job is sent instead of at the next poll.
    useListenNotify: true,
    max: 4,
    // Jobs whose worker died are found by the monitor pass, which runs at most every
    // monitorIntervalSeconds even when supervision runs more often: both follow one setting.
    ...(supervise ? { superviseIntervalSeconds: supervise, monitorIntervalSeconds: supervise } : {}),
  });
}

/**
 * Creates the queues that are missing, with core's settings and this side's tuning. A queue that
 * exists keeps its settings: a `send` or a worker with other options must not change what the
 * running fleet relies on. Returns the tuning this side asked for that the live job queue doesn't have.
 */
export async function ensureQueues(boss: PgBoss, tuning: Partial<JobQueueTuning> = {}): Promise<string[]> {
  const queues = queueOptions(tuning);
  for (const { name, options } of queues) {
    // createQueue is itself insert-or-nothing, so two creators racing leave the first one's settings.
    if (!(await boss.getQueue(name))) await boss.createQueue(name, { ...options });
  }
  const live = (await boss.getQueue(QUEUE_NAMES.jobs)) as Record<string, unknown> | null;
  const wanted = queues[1].options;
  return (Object.keys(wanted) as Array<keyof typeof wanted>)
    .filter((key) => live?.[key] !== wanted[key])
    .map((key) => `${key} ${String(live?.[key])} (asked for ${String(wanted[key])})`);
}

/**
 * Sets the live job queue's settings on purpose (`dynamic-image queue --update`): the one way they
 * change after the queue is made. Returns the settings now in force.
 */
export async function updateJobQueue(boss: PgBoss, tuning: Partial<JobQueueTuning>) {
  await ensureQueues(boss, tuning);
  await boss.updateQueue(QUEUE_NAMES.jobs, { ...queueOptions(tuning)[1].options });
  return boss.getQueue(QUEUE_NAMES.jobs);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The pg-boss id of a job: its jobId when that is a UUID, otherwise a UUID derived from it. */
export function queueJobId(jobId: string): string {
  if (UUID.test(jobId)) return jobId.toLowerCase();
  const hex = createHash('sha256').update(jobId).digest('hex');
  // Shaped as a version-8 (custom) UUID, which is what pg-boss's uuid column accepts.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Sends a job under an id derived from its jobId, so sending the same job twice (a retried
 * request, two CMS instances) queues it once: the second send returns null. A job with a time
 * limit expires in pg-boss only after it (plus a margin), whatever the queue's expiry.
 */
export async function sendJob(
  boss: PgBoss,
  data: DynamicImageJobData,
  options: SendOptions = {},
): Promise<string | null> {
  const expiry = data.timeoutSeconds ? { expireInSeconds: jobExpireInSeconds(data.timeoutSeconds) } : {};
  return boss.send(QUEUE_NAMES.jobs, data, { ...expiry, ...options, id: queueJobId(data.jobId) });
}
