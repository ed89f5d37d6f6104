// Auto-thumbnail on publish: the rules in force, the publish hook that decides whether an entry needs a
// job, and the fill once the job's file is there. The rules' checks are in rules.ts (pure), the config
// file's rules in config-rules.ts, and the writes to entries in entries.ts.
import { DynamicImageError } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { jsonColumn } from '../../data/json';
import { withAdvisoryLock } from '../../data/locks';
import { getService } from '../../utils/get-service';
import { entryEventFields, type JobEntry } from '../job-rows';
import { resolveConfigRules } from './config-rules';
import { fillEntry, type MediaRef, modelOf, RECORD, versions } from './entries';
import {
  type AutoThumbnailRule,
  type Candidate,
  candidates,
  checkDuplicates,
  checkFields,
  entryKey,
  type Issue,
  invalidRules,
  localized,
  type Model,
  rulesInput,
} from './rules';

export type { AutoThumbnailRule, Candidate } from './rules';

const JOB = 'plugin::dynamic-image.job';
const STORE_KEY = 'autoThumbnails';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const store = () => strapi.store({ type: 'plugin', name: 'dynamic-image', key: STORE_KEY });
  /** The config file's rules with their templates resolved at bootstrap: used until the settings page saves. */
  let defaults: AutoThumbnailRule[] = [];
  const model = (uid: string) => modelOf(strapi, uid);

  async function jobState(jobId: string | null | undefined): Promise<string | null> {
    if (!jobId) return null;
    const job = await strapi.db.query(JOB).findOne({ where: { jobId }, select: ['state'] });
    return job?.state ?? null;
  }

  return {
    async bootstrap() {
      defaults = await resolveConfigRules(strapi);
      const stored = await store().get({});
      if (Array.isArray(stored)) {
        // Saved from the settings page; a content type since removed from the code is skipped, not fatal.
        for (const [i, rule] of (stored as AutoThumbnailRule[]).entries()) {
          for (const issue of checkFields(model(rule.uid), rule, `${i}.`))
            strapi.log.warn(`[dynamic-image] auto-thumbnail rule ${issue.field} skipped: ${issue.message}`);
        }
      }
      // entry.publish rather than a Document Service middleware: create and update with status=published
      // (REST, GraphQL) publish inside the repository without passing a 'publish' action through middlewares,
      // and the event comes after the commit, once per published locale.
      strapi.eventHub.on(
        'entry.publish',
        async (event: { uid?: string; entry?: Record<string, unknown> }) => {
          if (!event?.uid || !event.entry) return;
          const { uid, entry } = event;
          // Detached from the publish: it has committed, and a slow job send must not hold its response.
          setImmediate(() => {
            this.onPublish(uid, entry).catch((err: Error) =>
              strapi.log.error(
                `[dynamic-image] auto-thumbnail for ${uid} ${String(entry.documentId)} not started: ${err.message}`,
              ),
            );
          });
        },
      );
      strapi.eventHub.on('entry.delete', async (event: { uid?: string; entry?: Record<string, unknown> }) => {
        if (!event?.uid || !event.entry?.documentId) return;
        const { uid, entry } = event;
        setImmediate(() => {
          this.forget(uid, String(entry.documentId), (entry.locale as string | undefined) ?? null).catch(
            (err: Error) =>
              strapi.log.error(`[dynamic-image] auto-thumbnail record not removed: ${err.message}`),
          );
        });
      });
    },

    /** The rules in force: the settings page's once saved, else the config file's. */
    async rules(): Promise<AutoThumbnailRule[]> {
      const stored = await store().get({});
      const rules = Array.isArray(stored) ? (stored as AutoThumbnailRule[]) : defaults;
      return rules.filter((rule) => checkFields(model(rule.uid), rule, '').length === 0);
    },

    candidates(): Candidate[] {
      return candidates(Object.values(strapi.contentTypes as unknown as Record<string, Model>));
    },

    /** The settings page's save: every rule checked as at start-up, then all of them stored at once. */
    async replace(body: unknown): Promise<AutoThumbnailRule[]> {
      const parsed = rulesInput.safeParse(body);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({
          field: i.path.join('.') || 'data',
          rule: i.code,
          message: `${i.path.join('.') || 'data'}: ${i.message}`,
        }));
        throw invalidRules(issues);
      }
      const rules = parsed.data.data;
      const issues: Issue[] = [
        ...rules.flatMap((rule, i) => checkFields(model(rule.uid), rule, `data.${i}.`)),
        ...checkDuplicates(rules, 'data.'),
      ];
      for (const [i, rule] of rules.entries()) {
        const exists = await strapi.db
          .query('plugin::dynamic-image.template')
          .findOne({ where: { templateId: rule.templateId } });
        if (!exists) {
          issues.push({
            field: `data.${i}.templateId`,
            rule: 'exists',
            message: `template ${rule.templateId} does not exist`,
          });
        }
      }
      if (issues.length > 0) throw invalidRules(issues);
      await store().set({ value: rules });
      return rules;
    },

    /** Templates in use by a rule can't be deleted (like templates in use by a workflow): each rule's content type, with its name. */
    async usingTemplate(templateId: string): Promise<Array<{ uid: string; name: string }>> {
      return (await this.rules())
        .filter((r) => r.templateId === templateId)
        .map((r) => ({ uid: r.uid, name: model(r.uid)?.info?.displayName ?? r.uid }));
    },

    /**
     * An entry was published: make a job when its video is set and the target is empty, or holds the
     * plugin's own thumbnail of another video. A thumbnail set by hand is never replaced.
     */
    async onPublish(uid: string, published: Record<string, unknown>) {
      const rules = (await this.rules()).filter((r) => r.uid === uid);
      for (const rule of rules) {
        const entry: JobEntry = {
          uid,
          documentId: String(published.documentId),
          locale: localized(model(uid)) ? ((published.locale as string | null) ?? null) : null,
        };
        await this.publishRule(rule, entry);
      }
    },

    async publishRule(rule: AutoThumbnailRule, entry: JobEntry) {
      const { published } = await versions(strapi, rule, entry);
      if (!published) return;
      const video = published[rule.videoField] as MediaRef;
      if (!video || !String(video.mime ?? '').startsWith('video/')) return;
      const target = published[rule.targetField] as MediaRef;
      const key = entryKey(entry.uid, entry.documentId, entry.locale, rule.targetField);
      // The content hash: a file replaced in place keeps its id and Strapi hash, not its bytes. A read
      // that broke a `contentHash` limit keys on Strapi's hash; the job made below fails with its code.
      const contentHash = await getService(strapi, 'fileHashes')
        .of(video)
        .catch((err: unknown) => {
          if (err instanceof DynamicImageError) return null;
          throw err;
        });
      const videoHash: string | null = contentHash ?? (video.hash as string | undefined) ?? null;
      const results = getService(strapi, 'results');
      const events = getService(strapi, 'events');

      const outcome = await strapi.db.transaction(async ({ trx }) => {
        // Two publishes of one entry at once (or two CMS instances) make one decision.
        await withAdvisoryLock(trx, 'auto-thumbnail', key);
        const record = await strapi.db.query(RECORD).findOne({ where: { entryKey: key } });
        if (target && target.id !== record?.imageFileId) return null; // set by hand
        const sameVideo = record && record.videoId === video.id && record.videoHash === videoHash;
        if (sameVideo && target) return null; // our thumbnail of this video is in place
        if (sameVideo && ['queued', 'processing', 'failed'].includes((await jobState(record.jobId)) ?? '')) {
          // On its way, or failed: publishing again doesn't retry (the jobs page does).
          return null;
        }
        const job = await getService(strapi, 'jobs').submit({
          videoId: video.id,
          templateId: rule.templateId,
          origin: 'publish',
          entry,
        });
        const data = {
          entryKey: key,
          entryUid: entry.uid,
          entryDocumentId: entry.documentId,
          entryLocale: entry.locale,
          videoField: rule.videoField,
          targetField: rule.targetField,
          videoId: video.id,
          videoHash,
          templateId: rule.templateId,
          setAsCover: rule.setAsCover,
          jobId: job.jobId,
        };
        if (record) await strapi.db.query(RECORD).update({ where: { id: record.id }, data });
        else await strapi.db.query(RECORD).create({ data });
        strapi.log.info(
          `[dynamic-image] ${entry.uid} ${entry.documentId}${entry.locale ? ` (${entry.locale})` : ''} published: ${job.created ? 'job' : 'existing job'} ${job.jobId}`,
        );
        // The same video and template were done before (another entry, an upload): no new job, use its result,
        // and say so with an event for this entry, so front ends revalidate it as after a job. Recorded with
        // the decision, sent once the entry has the file.
        const image = job.state === 'success' ? await results.ofJob(job.jobId as string) : null;
        const event = image
          ? await events.record(
              results.successEvent(image, { VideoId: video.id, ...entryEventFields(entry) }),
            )
          : null;
        return { ...(job as { jobId: string; state: string }), event };
      });
      if (outcome?.state === 'success') {
        await this.onJobSuccess(outcome.jobId);
        await events.send([outcome.event]);
      }
    },

    /** A job succeeded: entries waiting for it (or retried into it) get its file in their target field. */
    async onJobSuccess(jobId: string) {
      const job = await strapi.db.query(JOB).findOne({ where: { jobId } });
      if (!job?.dynamicImageId) return;
      const image = await strapi.db
        .query('plugin::dynamic-image.dynamic-image')
        .findOne({ where: { id: job.dynamicImageId }, populate: ['file'] });
      const fileId = image?.file?.id as number | undefined;
      if (!fileId) return;
      const records = await strapi.db.query(RECORD).findMany({ where: { jobId } });
      const entry = jsonColumn<JobEntry | null>(job.entry);
      if (entry && job.origin === 'retry') {
        // A retry from the jobs page: the entry's record still names the failed job.
        const more = await strapi.db.query(RECORD).findMany({
          where: {
            entryUid: entry.uid,
            entryDocumentId: entry.documentId,
            entryLocale: entry.locale,
            videoId: job.videoId,
          },
        });
        for (const r of more) if (!records.some((x: { id: number }) => x.id === r.id)) records.push(r);
      }
      for (const record of records) await this.fill(record, jobId, fileId, job.dynamicImageId);
    },

    /** Puts the job's file into the record's entry (entries.ts), then makes it the video's cover if asked. */
    async fill(
      record: Record<string, unknown> & { id: number },
      jobId: string,
      fileId: number,
      dynamicImageId: number,
    ) {
      if (!(await fillEntry(strapi, record, jobId, fileId))) return;
      if (record.setAsCover === true) await getService(strapi, 'results').setCover(dynamicImageId);
    },

    /** The entry is gone (draft and published): its record goes too. The Media Library file stays. */
    async forget(uid: string, documentId: string, locale: string | null) {
      if (!(await this.rules()).some((r) => r.uid === uid)) return;
      const where: Record<string, unknown> = { documentId };
      if (localized(model(uid))) where.locale = locale;
      if ((await strapi.db.query(uid).count({ where })) > 0) return;
      await strapi.db.query(RECORD).deleteMany({
        where: {
          entryUid: uid,
          entryDocumentId: documentId,
          entryLocale: localized(model(uid)) ? locale : null,
        },
      });
    },
  };
};
