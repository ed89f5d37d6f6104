// pg-boss from the CMS side: it sends jobs (inside the CMS's own transaction) and works the
// dead-letter queue, so a job whose retries ran out still ends failed with an event.
import {
  CMS_CLAIM_HEARTBEAT_SECONDS,
  isPreviewJob,
  jobExpireInSeconds,
  QUEUE_DEFAULTS,
  QUEUE_NAMES,
  queueOptions,
  SESSION_NAMES,
} from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { fromKnex, PgBoss } from 'pg-boss';
import { jsonColumn } from '../data/json';
import { type QueueCounts, queueCounts } from '../data/pgboss-jobs';
import { deliveryConfig } from '../events/delivery-config';
import type { JobKind } from './job-states';

/** DynamicImageComplete deliveries, worked by the CMS itself (it holds the webhooks). */
export const EVENTS_QUEUE = 'dynamic-image.events';
/** Deliveries fetched and posted together; a slow receiver holds at most this batch for its timeout. */
const EVENT_BATCH_SIZE = 10;

type Knex = Parameters<typeof fromKnex>[0];

/** What becomes of a job or preview pg-boss gave up on; given by bootstrap, so the queue calls no service. */
export type DeadLetterHandler = (dead: { kind: JobKind; jobId: string; output: unknown }) => Promise<void>;
/** Posts one DynamicImageComplete delivery; throws when pg-boss should retry it. */
export type EventDeliveryHandler = (job: {
  data: { deliveryId: number };
  retryCount: number;
  retryLimit: number;
}) => Promise<void>;

// Strapi's Postgres dialect installs global pg-types parsers that leave JSON as text; pg-boss
// shares pg, so its own pool gets parsers that parse JSON again.
function ownTypes(pgTypes: { getTypeParser: (oid: number, format?: string) => unknown }) {
  return {
    getTypeParser(oid: number, format?: string) {
      if (oid === 114 || oid === 3802) return (value: string) => JSON.parse(value);
      return pgTypes.getTypeParser(oid, format);
    },
  };
}

export function connectionOptions(strapi: Core.Strapi): Record<string, unknown> {
  const connection = strapi.config.get('database.connection.connection') as Record<string, unknown> | string;
  if (typeof connection === 'string') return { connectionString: connection };
  const { connectionString, host, port, database, user, password, ssl } = connection;
  return connectionString ? { connectionString, ssl } : { host, port, database, user, password, ssl };
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  let boss: PgBoss | null = null;

  return {
    async start(onDead: DeadLetterHandler, onEventDelivery: EventDeliveryHandler): Promise<void> {
      const schema = strapi.config.get('plugin::dynamic-image.queueSchema') as string;
      // biome-ignore lint/suspicious/noExplicitAny: pg's types are reached through Strapi's knex client.
      const pgTypes = (strapi.db.connection.client as any).driver.types;
      boss = new PgBoss({
        ...connectionOptions(strapi),
        schema,
        application_name: SESSION_NAMES.cms,
        max: 3,
        // When every worker is gone, the CMS is the one that fails their jobs' lapsed heartbeats.
        superviseIntervalSeconds: QUEUE_DEFAULTS.superviseIntervalSeconds,
        monitorIntervalSeconds: QUEUE_DEFAULTS.superviseIntervalSeconds,
        types: ownTypes(pgTypes),
      } as ConstructorParameters<typeof PgBoss>[0]);
      boss.on('error', (err) => strapi.log.error(`[dynamic-image] queue: ${err.message}`));
      await boss.start();
      // Made only when missing, with the settings a worker would use: a live queue keeps its own.
      for (const { name, options } of queueOptions()) {
        if (!(await boss.getQueue(name))) await boss.createQueue(name, { ...options });
      }
      if (!(await boss.getQueue(EVENTS_QUEUE))) await boss.createQueue(EVENTS_QUEUE);
      // A batch at a time, posted side by side, and fetched again at once while batches come back full:
      // one delivery per poll capped delivery at one event a second, so a burst of finished jobs
      // waited minutes for its events. Each delivery settles on its own (perJobResults): one receiver
      // that fails retries only its own delivery.
      await boss.work<{ deliveryId: number }>(
        EVENTS_QUEUE,
        {
          pollingIntervalSeconds: 1,
          includeMetadata: true,
          batchSize: EVENT_BATCH_SIZE,
          burstWhenBatchFull: true,
          perJobResults: true,
        },
        async (jobs) =>
          Promise.all(
            jobs.map(async (job) => {
              try {
                // includeMetadata: the job carries its retryCount and retryLimit.
                await onEventDelivery(job as unknown as Parameters<EventDeliveryHandler>[0]);
                return { id: job.id, status: 'completed' as const };
              } catch (err) {
                return { id: job.id, status: 'failed' as const, output: { message: (err as Error).message } };
              }
            }),
          ),
      );
      await boss.work<Record<string, unknown>>(
        QUEUE_NAMES.deadLetter,
        { pollingIntervalSeconds: 2, includeMetadata: true },
        async (jobs) => {
          for (const job of jobs) {
            const data = jsonColumn<{ jobId?: unknown; meta?: { preview?: unknown } } | null>(job.data);
            // sourceOutput: what the last attempt stored (the worker's failure), when there was one.
            const { sourceOutput } = job as unknown as { sourceOutput?: unknown };
            const jobId = String(data?.jobId ?? '');
            await onDead({ kind: isPreviewJob(data) ? 'preview' : 'job', jobId, output: sourceOutput });
          }
        },
      );
    },

    async stop(): Promise<void> {
      await boss?.stop({ graceful: true, timeout: 5000 });
      boss = null;
    },

    /** Sends in the caller's transaction: the job row and the queue entry commit together or not at all. */
    async send(data: Record<string, unknown> & { jobId: string }, trx: Knex): Promise<void> {
      if (!boss) throw new Error('dynamic-image queue is not started');
      // pg-boss expires the job only after its own time limit (which may be hours) plus a margin.
      const timeout = Number(data.timeoutSeconds) || QUEUE_DEFAULTS.expireInSeconds;
      await boss.send(QUEUE_NAMES.jobs, data, {
        id: data.jobId,
        db: fromKnex(trx),
        expireInSeconds: jobExpireInSeconds(timeout),
      });
    },

    /** Queues one delivery of an event, in the caller's transaction, with the retries of `events` config. */
    async sendEventDelivery(deliveryId: number, trx: Knex): Promise<void> {
      if (!boss) throw new Error('dynamic-image queue is not started');
      const config = deliveryConfig(strapi);
      await boss.send(
        EVENTS_QUEUE,
        { deliveryId },
        {
          db: fromKnex(trx),
          retryLimit: config.retryLimit,
          retryDelay: config.retryDelaySeconds,
          retryDelayMax: config.retryDelayMaxSeconds,
          retryBackoff: true,
          expireInSeconds: config.timeoutSeconds + 60,
          // A delivery whose handler could not record its end (the database went away) is retried once
          // its heartbeat lapses, not at its expiry.
          heartbeatSeconds: CMS_CLAIM_HEARTBEAT_SECONDS,
        },
      );
    },

    /** Live counts of the job queue: waiting now, running, and waiting for a retry or a start time. */
    async stats(): Promise<QueueCounts | null> {
      if (!boss) return null;
      const schema = strapi.config.get('plugin::dynamic-image.queueSchema') as string;
      return queueCounts(strapi.db.connection, schema, QUEUE_NAMES.jobs);
    },
  };
};
