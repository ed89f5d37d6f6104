// The usage of successful jobs, grouped for the usage report: by month, template, workflow and output size.
// Each job row keeps its worker's result (width, height, duration in seconds, bytes), so usage needs no
// column of its own and jobs made before the report count the same way; the size stays in the grouping
// because the resolution class is core's rule (`resolutionClass`), applied by the service, not spelled
// again in SQL. A sharing job (`encodeJobId`) holds the encode's result under its own id: it counts as an
// output, and apart as not an encode. Column names come from Strapi's metadata.
import type { Core } from '@strapi/strapi';

const JOB = 'plugin::dynamic-image.job';

export interface UsageGroup {
  /** `YYYY-MM` of the job's end. */
  month: string;
  templateId: string | null;
  workflowId: string | null;
  width: number;
  height: number;
  outputs: number;
  /** Outputs whose job ran the encode itself (not sharing another's). */
  encodes: number;
  seconds: number;
  bytes: number;
}

/** Successful jobs that ended in months `from` to `to` (`YYYY-MM`, both included), grouped. */
export async function usageGroups(strapi: Core.Strapi, from: string, to: string): Promise<UsageGroup[]> {
  const meta = strapi.db.metadata.get(JOB);
  const column = (attribute: string) =>
    (meta.attributes[attribute] as unknown as { columnName: string }).columnName;
  const db = strapi.db.connection;
  const finished = column('finishedAt');
  const result = column('result');
  // Strapi's datetime is `timestamp without time zone` holding the CMS's clock (UTC on a UTC server).
  const month = db.raw('to_char(??, ?)', [finished, 'YYYY-MM']);
  const rows = (await db(meta.tableName)
    .select({
      month,
      templateId: column('templateId'),
      workflowId: column('workflowId'),
      width: db.raw(`(??->>'width')::int`, [result]),
      height: db.raw(`(??->>'height')::int`, [result]),
    })
    .select(
      db.raw('count(*)::int as outputs'),
      db.raw('(count(*) filter (where ?? is null))::int as encodes', [column('encodeJobId')]),
      db.raw(`coalesce(sum((??->>'duration')::numeric), 0)::text as seconds`, [result]),
      db.raw(`coalesce(sum((??->>'bytes')::bigint), 0)::text as bytes`, [result]),
    )
    .where(column('state'), 'success')
    .whereNotNull(result)
    .where(finished, '>=', `${from}-01`)
    .where(finished, '<', db.raw(`(?::date + interval '1 month')`, [`${to}-01`]))
    .groupByRaw('1, 2, 3, 4, 5')
    .orderByRaw('1, 2, 3, 4, 5')) as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    month: String(row.month),
    templateId: (row.templateId as string | null) ?? null,
    workflowId: (row.workflowId as string | null) ?? null,
    width: Number(row.width),
    height: Number(row.height),
    outputs: Number(row.outputs),
    encodes: Number(row.encodes),
    seconds: Number(row.seconds),
    bytes: Number(row.bytes),
  }));
}
