// pg-boss from the CMS side: it sends jobs (inside the CMS's own transaction) and works the
// dead-letter queue, so a job whose retries ran out still ends failed with an event.
import {
  isPreviewJob,
  jobExpireInSeconds,
  QUEUE_DEFAULTS,
  QUEUE_NAMES,
  queueOptions,
  SESSION_NAMES,
} from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { fromKnex, PgBoss } from 'pg-boss';

type Knex = Parameters<typeof fromKnex>[0];

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
    async start(): Promise<void> {
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
      await boss.work<Record<string, unknown>>(
        QUEUE_NAMES.deadLetter,
        { pollingIntervalSeconds: 2, includeMetadata: true },
        async (jobs) => {
          for (const job of jobs) {
            const data = typeof job.data === 'string' ? JSON.parse(job.data) : job.data;
            // sourceOutput: what the last attempt stored (the worker's failure), when there was one.
            const { sourceOutput } = job as unknown as { sourceOutput?: unknown };
            const id = String(data?.jobId ?? '');
            const plugin = strapi.plugin('dynamic-image');
            if (isPreviewJob(data)) await plugin.service('previews').markDead(id, sourceOutput);
            else await plugin.service('jobs').markDead(id, sourceOutput);
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

    async depth(): Promise<{ queued: number; active: number } | null> {
      const stats = await this.stats();
      return stats ? { queued: stats.queued, active: stats.active } : null;
    },

    /**
     * Live counts of the job queue, read from pg-boss's job table (its getQueue() counts are refreshed
     * by its monitor only once a minute): waiting now, running, and waiting for a retry or a start time.
     */
    async stats(): Promise<{ queued: number; active: number; deferred: number } | null> {
      if (!boss) return null;
      const schema = strapi.config.get('plugin::dynamic-image.queueSchema') as string;
      const { rows } = await strapi.db.connection.raw(
        `select count(*) filter (where state = 'created' and start_after <= now())::int as queued,
                count(*) filter (where state = 'active')::int as active,
                count(*) filter (where state = 'retry' or (state = 'created' and start_after > now()))::int as deferred
           from "${schema}".job
          where name = ? and state < 'completed'`,
        [QUEUE_NAMES.jobs],
      );
      const row = rows[0] as { queued: number; active: number; deferred: number };
      return { queued: row.queued, active: row.active, deferred: row.deferred };
    },
  };
};
