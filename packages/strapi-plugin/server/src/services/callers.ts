// Who submitted a job through the content API, for the per-caller limit on jobs queued or running: one
// API token, one users-permissions user, or the public role as a whole. The admin panel's callers are
// not counted (its RBAC actions already say who may submit).
import type { Core } from '@strapi/strapi';
import { limitsOf, type PluginConfig } from '../config';
import { withAdvisoryLock } from '../data/locks';
import type { Sql } from '../data/sql';
import { tooManyActiveJobs } from '../errors';

const JOB = 'plugin::dynamic-image.job';

interface AuthState {
  auth?: { strategy?: { name?: string }; credentials?: { id?: unknown } | null };
}

/** Whether the request came through the admin panel's routes (an admin JWT). */
export function isAdmin(state: unknown): boolean {
  return (state as AuthState | undefined)?.auth?.strategy?.name === 'admin';
}

/** `api-token:7`, `users-permissions:12`, `users-permissions:public`; null for the admin panel. */
export function callerOf(state: unknown): string | null {
  const auth = (state as AuthState | undefined)?.auth;
  const strategy = auth?.strategy?.name;
  if (!strategy || strategy === 'admin') return null;
  const id = auth?.credentials?.id;
  return `${strategy}:${id === undefined || id === null ? 'public' : String(id)}`;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const limit = () =>
    limitsOf(strapi.config.get('plugin::dynamic-image') as PluginConfig).maxActiveJobsPerCaller;
  const active = (caller: string): Promise<number> =>
    strapi.db.query(JOB).count({ where: { caller, state: { $in: ['queued', 'processing'] } } });

  return {
    /**
     * Refuses when `caller` has no room for `adding` more jobs. Inside a transaction it first takes the
     * caller's advisory lock, so two submissions at once can't both take the last place.
     */
    async ensureRoom(caller: string | null | undefined, adding = 1, trx?: Sql) {
      if (!caller) return;
      if (trx) await withAdvisoryLock(trx, 'caller', caller);
      const max = limit();
      const count = await active(caller);
      if (count + adding > max) throw tooManyActiveJobs(count, max);
    },
  };
};
