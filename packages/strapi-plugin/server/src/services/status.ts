import { WORKER_SESSION_PATTERN } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';

// Workers name their database sessions with core's workerSessionName (pg's application_name), so a
// worker counts as connected while it holds a session to this database, embedded or standalone.

export interface WorkerStatus {
  workers: Array<{ name: string; address: string | null; sessions: number; connectedSince: string }>;
  queue: { queued: number; active: number; deferred: number } | null;
  mode: string;
}

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async get(): Promise<WorkerStatus> {
    const sessions = await strapi.db.connection.raw(
      `select application_name as name, host(client_addr) as address, count(*)::int as sessions,
              min(backend_start) as since
         from pg_stat_activity
        where datname = current_database() and application_name like ?
        group by application_name, client_addr
        order by min(backend_start)`,
      [WORKER_SESSION_PATTERN],
    );
    const depth = await strapi.plugin('dynamic-image').service('queue').stats();
    return {
      workers: (
        sessions.rows as Array<{ name: string; address: string | null; sessions: number; since: Date }>
      ).map((r) => ({
        name: r.name,
        address: r.address,
        sessions: r.sessions,
        connectedSince: new Date(r.since).toISOString(),
      })),
      queue: depth,
      mode: (strapi.config.get('plugin::dynamic-image.worker') as { mode: string }).mode,
    };
  },
});
