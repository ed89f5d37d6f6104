// Transaction-scoped Postgres advisory locks: they serialise one piece of work across requests and
// CMS instances, and are released by the commit or rollback. Every key is namespaced
// `dynamic-image:<namespace>[:<key>]`, so the plugin's locks can't collide with another app's on the
// same database (hashtextextended spreads them over 64 bits).
import type { Sql } from './sql';

export type LockNamespace =
  | 'auto-thumbnail'
  | 'caller'
  | 'cover'
  | 'dedupe'
  | 'job-result'
  | 'pending-events'
  | 'result-file'
  | 'results-folder'
  | 'template-name';

export function lockKey(namespace: LockNamespace, key?: string): string {
  return key === undefined ? `dynamic-image:${namespace}` : `dynamic-image:${namespace}:${key}`;
}

/** Waits for the lock; it is held until `trx` ends. */
export async function withAdvisoryLock(trx: Sql, namespace: LockNamespace, key?: string): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [lockKey(namespace, key)]);
}

/** Takes the lock if it is free (held until `trx` ends); false when another transaction holds it. */
export async function tryAdvisoryLock(trx: Sql, namespace: LockNamespace, key?: string): Promise<boolean> {
  const { rows } = await trx.raw('select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as locked', [
    lockKey(namespace, key),
  ]);
  return rows[0]?.locked === true;
}
