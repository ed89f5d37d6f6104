import type { Core } from '@strapi/strapi';

// Workers name their database sessions "dynamic-image-worker <host> <pid>" (pg's application_name),
// so a worker counts as connected while it holds a session to this database, embedded or standalone.
const WORKER_SESSION_PREFIX = 'dynamic-image-worker';

export interface WorkerFfmpeg {
  version: string;
  /** env (FFMPEG_PATH), system, or npm: the static build from 2018, which gets no security fixes. */
  source: string;
  outdated: boolean;
}

export interface WorkerStatus {
  workers: Array<{
    name: string;
    address: string | null;
    sessions: number;
    connectedSince: string;
    ffmpeg: WorkerFfmpeg | null;
  }>;
  queue: { queued: number; active: number; deferred: number } | null;
  mode: string;
}

/** Splits "dynamic-image-worker <host> <pid> ff=<version>/<source>" (older workers have no ff= part). */
export function parseWorkerSession(applicationName: string): { name: string; ffmpeg: WorkerFfmpeg | null } {
  const match = / ff=([^/\s]*)\/(\w+)$/.exec(applicationName);
  if (!match) return { name: applicationName, ffmpeg: null };
  const [, version = '', source = ''] = match;
  return {
    name: applicationName.slice(0, match.index),
    ffmpeg: { version, source, outdated: source === 'npm' },
  };
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
      [`${WORKER_SESSION_PREFIX}%`],
    );
    const depth = await strapi.plugin('dynamic-image').service('queue').stats();
    return {
      workers: (
        sessions.rows as Array<{ name: string; address: string | null; sessions: number; since: Date }>
      ).map((r) => ({
        ...parseWorkerSession(r.name),
        address: r.address,
        sessions: r.sessions,
        connectedSince: new Date(r.since).toISOString(),
      })),
      queue: depth,
      mode: (strapi.config.get('plugin::dynamic-image.worker') as { mode: string }).mode,
    };
  },
});
