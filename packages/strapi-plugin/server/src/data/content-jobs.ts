// The jobs that make one content (the same bytes) with one resolved template, by their `dedupeKey`: a video's
// own answers a repeated request; another video's is an encode a new upload of the same bytes shares
// (services/shared-encodes.ts).
import type { Core } from '@strapi/strapi';

const JOB = 'plugin::dynamic-image.job';

// biome-ignore lint/suspicious/noExplicitAny: a job row as Strapi's query engine returns it
export type Row = Record<string, any>;

/** The jobs making one content with one template: this video's own, and one of another video to share. */
export async function jobsOfContent(
  strapi: Core.Strapi,
  dedupeKey: string,
  videoId: number,
): Promise<{ own: Row | null; other: Row | null }> {
  const rows: Row[] = await strapi.db
    .query(JOB)
    .findMany({ where: { dedupeKey, state: { $ne: 'failed' } }, orderBy: { queuedAt: 'asc' } });
  return {
    own: rows.find((r) => r.videoId === videoId) ?? null,
    other: rows.find((r) => r.videoId !== videoId) ?? null,
  };
}

/** The job that runs the encode `job` waits on (or made it): a sharing job names it, an encoding job is it. */
export const encodeJobOf = (job: Row): string => (job.encodeJobId as string | null) ?? (job.jobId as string);
