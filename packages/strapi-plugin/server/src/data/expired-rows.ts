import type { Sql } from './sql';

/** Deletes the rows of `table` whose `column` (a timestamp) lies before `now`; how many went. */
export async function deleteExpiredRows(
  sql: Sql,
  table: string,
  column: string,
  now = new Date(),
): Promise<number> {
  return sql(table).where(column, '<', now).delete();
}
