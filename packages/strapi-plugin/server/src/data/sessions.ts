// Database sessions seen in pg_stat_activity, grouped by application_name and client address.
import type { Sql } from './sql';

export interface SessionGroup {
  name: string;
  address: string | null;
  sessions: number;
  since: Date;
}

/** Sessions to the current database whose application_name starts with `prefix`, oldest first. */
export async function sessionsNamed(db: Sql, prefix: string): Promise<SessionGroup[]> {
  const { rows } = await db.raw(
    `select application_name as name, host(client_addr) as address, count(*)::int as sessions,
            min(backend_start) as since
       from pg_stat_activity
      where datname = current_database() and application_name like ?
      group by application_name, client_addr
      order by min(backend_start)`,
    [`${prefix.replace(/[\\%_]/g, '\\$&')}%`],
  );
  return rows as SessionGroup[];
}
