// The failures each video still has: of each template that ran on it, the latest job, when that job failed.
// DISTINCT ON picks the latest job per (video, template) in one statement; through the query API it would
// mean reading every job a video ever had. Column names come from Strapi's metadata, not spelled here.
import type { Core } from '@strapi/strapi';
import type { VideoFailure } from '../api-types';

const JOB = 'plugin::dynamic-image.job';

export async function openFailures(
  strapi: Core.Strapi,
  videoIds: number[],
): Promise<Array<VideoFailure & { videoId: number }>> {
  if (videoIds.length === 0) return [];
  const meta = strapi.db.metadata.get(JOB);
  const column = (attribute: string) =>
    (meta.attributes[attribute] as unknown as { columnName: string }).columnName;
  const fields = [
    'videoId',
    'jobId',
    'templateId',
    'origin',
    'state',
    'errorCode',
    'errorMessage',
    'finishedAt',
  ];
  const db = strapi.db.connection;
  const latest = db(meta.tableName)
    .distinctOn(column('videoId'), column('templateId'))
    .select(Object.fromEntries(fields.map((f) => [f, column(f)])))
    .whereIn(column('videoId'), videoIds)
    .orderBy([
      { column: column('videoId') },
      { column: column('templateId') },
      { column: column('queuedAt'), order: 'desc' },
      { column: 'id', order: 'desc' },
    ]);
  const rows = (await db
    .select('*')
    .from(latest.as('latest'))
    .where('state', 'failed')
    .orderBy('finishedAt', 'desc')) as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    videoId: Number(row.videoId),
    jobId: String(row.jobId),
    templateId: String(row.templateId),
    origin: String(row.origin),
    errorCode: (row.errorCode as string | null) ?? null,
    errorMessage: (row.errorMessage as string | null) ?? null,
    finishedAt: row.finishedAt ? new Date(row.finishedAt as string).toISOString() : null,
  }));
}
