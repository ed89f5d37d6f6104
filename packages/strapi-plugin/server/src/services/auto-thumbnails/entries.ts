// The one adapter that writes entries: it puts a finished thumbnail into the target field of an entry's
// published version and draft, straight to the database, so no publish (and no job) follows.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Core } from '@strapi/strapi';
import { withAdvisoryLock } from '../../data/locks';
import type { JobEntry } from '../job-rows';
import { localized, type Model, type RuleFields } from './rules';

/** The auto-thumbnail record of one entry's target field: the video it was made from, its job, its file. */
export const RECORD = 'plugin::dynamic-image.auto-thumbnail';

export type MediaRef = { id: number; hash?: string; mime?: string } | null | undefined;
type Row = Record<string, unknown> & { id: number; publishedAt: string | null; updatedAt: string };

export const modelOf = (strapi: Core.Strapi, uid: string) =>
  strapi.contentTypes[uid as keyof typeof strapi.contentTypes] as unknown as Model | undefined;

/** The entry's draft and published rows (of its locale when the type is localized), media populated. */
export async function versions(strapi: Core.Strapi, rule: RuleFields, entry: JobEntry) {
  const where: Record<string, unknown> = { documentId: entry.documentId };
  if (localized(modelOf(strapi, rule.uid))) where.locale = entry.locale;
  const rows = (await strapi.db
    .query(rule.uid)
    .findMany({ where, populate: [rule.videoField, rule.targetField] })) as Row[];
  return {
    draft: rows.find((r) => r.publishedAt === null),
    published: rows.find((r) => r.publishedAt !== null),
  };
}

/**
 * Puts the file in the target field of the published version and the draft named by `record`. The
 * Content Manager shows "modified" when the draft's updatedAt is later than the published version's, so
 * the rows are written in the order that keeps what it showed before. False when the content type is gone.
 */
export async function fillEntry(
  strapi: Core.Strapi,
  record: Record<string, unknown> & { id: number },
  jobId: string,
  fileId: number,
): Promise<boolean> {
  const rule = {
    uid: record.entryUid as string,
    videoField: record.videoField as string,
    targetField: record.targetField as string,
  };
  if (!modelOf(strapi, rule.uid)) return false;
  const entry: JobEntry = {
    uid: rule.uid,
    documentId: record.entryDocumentId as string,
    locale: (record.entryLocale as string | null) ?? null,
  };
  await strapi.db.transaction(async ({ trx }) => {
    await withAdvisoryLock(trx, 'auto-thumbnail', String(record.entryKey));
    const current = await strapi.db.query(RECORD).findOne({ where: { id: record.id } });
    if (!current || current.videoId !== record.videoId) return; // a newer publish took over
    const { draft, published } = await versions(strapi, rule, entry);
    const wasModified =
      draft && published && new Date(draft.updatedAt).getTime() > new Date(published.updatedAt).getTime();
    const eligible = (row: Row | undefined): row is Row => {
      if (!row) return false;
      if ((row[rule.videoField] as MediaRef)?.id !== current.videoId) return false; // video changed since
      const target = row[rule.targetField] as MediaRef;
      return !target || (target.id === current.imageFileId && target.id !== fileId);
    };
    const order = wasModified ? [published, draft] : [draft, published];
    let wrote = false;
    for (const row of order.filter(eligible)) {
      if (wrote) await sleep(2); // strictly later updatedAt for the row written second
      await strapi.db.query(rule.uid).update({ where: { id: row.id }, data: { [rule.targetField]: fileId } });
      wrote = true;
    }
    await strapi.db
      .query(RECORD)
      .update({ where: { id: record.id }, data: { imageFileId: fileId, jobId, filledAt: new Date() } });
  });
  return true;
}
