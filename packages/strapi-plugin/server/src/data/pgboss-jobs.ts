// Reads of pg-boss's own job table (its schema is the plugin's `queueSchema`). pg-boss's getQueue()
// counts are refreshed by its monitor only once a minute; these are live.
import type { Sql } from './sql';

export interface QueueCounts {
  /** Waiting now. */
  queued: number;
  /** Running. */
  active: number;
  /** Waiting for a retry or a start time. */
  deferred: number;
}

export async function queueCounts(db: Sql, schema: string, queue: string): Promise<QueueCounts> {
  const { rows } = await db.raw(
    `select count(*) filter (where state = 'created' and start_after <= now())::int as queued,
            count(*) filter (where state = 'active')::int as active,
            count(*) filter (where state = 'retry' or (state = 'created' and start_after > now()))::int as deferred
       from ??.job
      where name = ? and state < 'completed'`,
    [schema, queue],
  );
  const row = rows[0] as QueueCounts;
  return { queued: row.queued, active: row.active, deferred: row.deferred };
}
