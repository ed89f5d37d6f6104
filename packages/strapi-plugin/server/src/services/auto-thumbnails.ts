import { setTimeout as sleep } from 'node:timers/promises';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { type AutoThumbnailRuleConfig, autoThumbnailRuleSchema } from '../config';
import { type ApiError, invalidParameter } from '../errors';
import { entryEventFields, type JobEntry } from './jobs';

const RECORD = 'plugin::dynamic-image.auto-thumbnail';
const JOB = 'plugin::dynamic-image.job';
const STORE_KEY = 'autoThumbnails';
const CONFIG_FILE = 'config/plugins.ts';

/** One rule as stored and served to the settings page. */
export interface AutoThumbnailRule {
  uid: string;
  videoField: string;
  targetField: string;
  templateId: string;
  setAsCover: boolean;
}

export interface Candidate {
  uid: string;
  displayName: string;
  videoFields: string[];
  targetFields: string[];
}

interface Issue {
  field: string;
  rule: string;
  message: string;
}

const ruleInput = z.strictObject({
  uid: z.string().min(1),
  videoField: z.string().min(1),
  targetField: z.string().min(1),
  templateId: z.string().min(1),
  setAsCover: z.boolean().default(false),
});
const rulesInput = z.strictObject({ data: z.array(ruleInput).max(100) });

type Attribute = {
  type?: string;
  multiple?: boolean;
  allowedTypes?: string[] | null;
  pluginOptions?: { i18n?: { localized?: boolean } };
};
type Model = {
  uid: string;
  info?: { displayName?: string };
  options?: { draftAndPublish?: boolean };
  pluginOptions?: { i18n?: { localized?: boolean } };
  attributes: Record<string, Attribute>;
};
type MediaRef = { id: number; hash?: string; mime?: string } | null | undefined;
type Row = Record<string, unknown> & { id: number; publishedAt: string | null; updatedAt: string };

/** A single media field whose allowed types include `kind` (no list means every type). */
const singleMedia = (attribute: Attribute | undefined, kind: 'videos' | 'images') =>
  attribute?.type === 'media' &&
  attribute.multiple !== true &&
  (!attribute.allowedTypes?.length || attribute.allowedTypes.includes(kind));

const localized = (x: { pluginOptions?: { i18n?: { localized?: boolean } } } | undefined) =>
  x?.pluginOptions?.i18n?.localized === true;

const entryKey = (uid: string, documentId: string, locale: string | null, targetField: string) =>
  `${uid}|${documentId}|${locale ?? ''}|${targetField}`;

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const plugin = () => strapi.plugin('dynamic-image');
  const store = () => strapi.store({ type: 'plugin', name: 'dynamic-image', key: STORE_KEY });
  /** The config file's rules with their templates resolved at bootstrap: used until the settings page saves. */
  let defaults: AutoThumbnailRule[] = [];

  const model = (uid: string) =>
    strapi.contentTypes[uid as keyof typeof strapi.contentTypes] as unknown as Model;

  /** What a rule's content type and fields must be; the same rules for the config file and the settings page. */
  function checkFields(rule: { uid: string; videoField: string; targetField: string }, at: string): Issue[] {
    const ct = model(rule.uid);
    if (!ct)
      return [{ field: `${at}uid`, rule: 'exists', message: `content type ${rule.uid} does not exist` }];
    const issues: Issue[] = [];
    if (ct.options?.draftAndPublish !== true) {
      issues.push({
        field: `${at}uid`,
        rule: 'draftAndPublish',
        message: `content type ${rule.uid} has no draft & publish; auto-thumbnail runs on publish`,
      });
    }
    const video = ct.attributes[rule.videoField];
    if (!video) {
      issues.push({
        field: `${at}videoField`,
        rule: 'exists',
        message: `${rule.uid} has no field ${JSON.stringify(rule.videoField)}`,
      });
    } else if (!singleMedia(video, 'videos')) {
      issues.push({
        field: `${at}videoField`,
        rule: 'kind',
        message: `${rule.uid}.${rule.videoField} must be a single media field allowing videos`,
      });
    }
    const target = ct.attributes[rule.targetField];
    if (!target) {
      issues.push({
        field: `${at}targetField`,
        rule: 'exists',
        message: `${rule.uid} has no field ${JSON.stringify(rule.targetField)}`,
      });
    } else if (!singleMedia(target, 'images')) {
      issues.push({
        field: `${at}targetField`,
        rule: 'kind',
        message: `${rule.uid}.${rule.targetField} must be a single media field allowing images`,
      });
    } else if (rule.targetField === rule.videoField) {
      issues.push({
        field: `${at}targetField`,
        rule: 'distinct',
        message: `targetField must differ from videoField (${rule.videoField})`,
      });
    } else if (localized(ct) && localized(video) && !localized(target)) {
      // Each locale gets the thumbnail of its own video, so the target must be per locale too.
      issues.push({
        field: `${at}targetField`,
        rule: 'localized',
        message: `${rule.uid}.${rule.targetField} must be localized like ${rule.videoField}`,
      });
    }
    return issues;
  }

  function checkDuplicates(rules: Array<{ uid: string; targetField: string }>, prefix: string): Issue[] {
    const seen = new Set<string>();
    const issues: Issue[] = [];
    rules.forEach((rule, i) => {
      const key = `${rule.uid}.${rule.targetField}`;
      if (seen.has(key)) {
        issues.push({
          field: `${prefix}${i}.targetField`,
          rule: 'unique',
          message: `${key} is the target of another rule`,
        });
      }
      seen.add(key);
    });
    return issues;
  }

  async function findTemplate(ref: string) {
    return (
      (await strapi.db.query('plugin::dynamic-image.template').findOne({ where: { templateId: ref } })) ??
      (await strapi.db.query('plugin::dynamic-image.template').findOne({ where: { name: ref } }))
    );
  }

  /** The config file's rules, checked against the content types and resolved to stored templates. */
  async function resolveConfig(): Promise<AutoThumbnailRule[]> {
    const raw = (strapi.config.get('plugin::dynamic-image.autoThumbnail') ?? []) as unknown[];
    const rules = z.array(autoThumbnailRuleSchema).parse(raw) as AutoThumbnailRuleConfig[];
    const issues: Issue[] = [
      ...rules.flatMap((rule, i) => checkFields(rule, `autoThumbnail.${i}.`)),
      ...checkDuplicates(rules, 'autoThumbnail.'),
    ];
    const resolved: AutoThumbnailRule[] = [];
    for (const [i, rule] of rules.entries()) {
      let templateId: string | undefined;
      if (typeof rule.template === 'string') {
        templateId = (await findTemplate(rule.template))?.templateId;
        if (!templateId) {
          issues.push({
            field: `autoThumbnail.${i}.template`,
            rule: 'exists',
            message: `no template has the templateId or name ${JSON.stringify(rule.template)}; give a template spec ({ name, format, fps, … }) to have it created`,
          });
          continue;
        }
      } else {
        // A spec: the template is made once under its name and never overwritten (editors may tune it).
        const spec = rule.template;
        const name = String(spec.name);
        templateId = await strapi.db.transaction(async ({ trx }) => {
          // CMS instances starting together make it once.
          await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`template-name:${name}`]);
          const existing = await findTemplate(name);
          if (existing) return existing.templateId as string;
          strapi.log.info(`[dynamic-image] auto-thumbnail template ${name} created from ${CONFIG_FILE}`);
          return (await plugin().service('templates').create(spec)).templateId as string;
        });
      }
      resolved.push({
        uid: rule.uid,
        videoField: rule.videoField,
        targetField: rule.targetField,
        templateId: templateId as string,
        setAsCover: rule.setAsCover,
      });
    }
    if (issues.length > 0) {
      const lines = issues.map((i) => `  ${i.field}: ${i.message}`);
      throw new Error(`Invalid config for plugin "dynamic-image" (${CONFIG_FILE}):\n${lines.join('\n')}`);
    }
    return resolved;
  }

  async function jobState(jobId: string | null | undefined): Promise<string | null> {
    if (!jobId) return null;
    const job = await strapi.db.query(JOB).findOne({ where: { jobId }, select: ['state'] });
    return job?.state ?? null;
  }

  async function versions(rule: { uid: string; videoField: string; targetField: string }, entry: JobEntry) {
    const where: Record<string, unknown> = { documentId: entry.documentId };
    if (localized(model(rule.uid))) where.locale = entry.locale;
    const rows = (await strapi.db
      .query(rule.uid)
      .findMany({ where, populate: [rule.videoField, rule.targetField] })) as Row[];
    return {
      draft: rows.find((r) => r.publishedAt === null),
      published: rows.find((r) => r.publishedAt !== null),
    };
  }

  return {
    async bootstrap() {
      defaults = await resolveConfig();
      const stored = await store().get({});
      if (Array.isArray(stored)) {
        // Saved from the settings page; a content type since removed from the code is skipped, not fatal.
        for (const [i, rule] of (stored as AutoThumbnailRule[]).entries()) {
          for (const issue of checkFields(rule, `${i}.`))
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
      return rules.filter((rule) => checkFields(rule, '').length === 0);
    },

    candidates(): Candidate[] {
      return Object.values(strapi.contentTypes as unknown as Record<string, Model>)
        .filter((ct) => ct.uid.startsWith('api::') && ct.options?.draftAndPublish === true)
        .map((ct) => {
          const names = Object.keys(ct.attributes);
          return {
            uid: ct.uid,
            displayName: ct.info?.displayName ?? ct.uid,
            videoFields: names.filter((n) => singleMedia(ct.attributes[n], 'videos')),
            targetFields: names.filter((n) => singleMedia(ct.attributes[n], 'images')),
          };
        })
        .filter((c) => c.videoFields.length > 0 && c.targetFields.length > 0)
        .sort((a, b) => a.uid.localeCompare(b.uid));
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
        throw this.invalid(issues);
      }
      const rules = parsed.data.data;
      const issues: Issue[] = [
        ...rules.flatMap((rule, i) => checkFields(rule, `data.${i}.`)),
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
      if (issues.length > 0) throw this.invalid(issues);
      await store().set({ value: rules });
      return rules;
    },

    /** `InvalidParameter.<Field>` named after the first problem's field (`data.0.videoField` → VideoField). */
    invalid(issues: Issue[]): ApiError {
      const first = issues[0] as Issue;
      const leaf = first.field.split('.').filter((p) => !/^\d+$/.test(p) && p !== 'data');
      return invalidParameter(leaf.at(-1) ?? 'data', issues.map((i) => i.message).join('; '), { issues });
    },

    /** Templates in use by a rule can't be deleted (like templates in use by a workflow). */
    async usingTemplate(templateId: string): Promise<string[]> {
      return (await this.rules()).filter((r) => r.templateId === templateId).map((r) => r.uid);
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
      const { published } = await versions(rule, entry);
      if (!published) return;
      const video = published[rule.videoField] as MediaRef;
      if (!video || !String(video.mime ?? '').startsWith('video/')) return;
      const target = published[rule.targetField] as MediaRef;
      const key = entryKey(entry.uid, entry.documentId, entry.locale, rule.targetField);
      // The content hash: a file replaced in place keeps its id and Strapi hash, not its bytes.
      const videoHash: string | null =
        (await plugin().service('fileHashes').of(video)) ?? (video.hash as string | undefined) ?? null;

      const outcome = await strapi.db.transaction(async ({ trx }) => {
        // Two publishes of one entry at once (or two CMS instances) make one decision.
        await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`auto-thumbnail:${key}`]);
        const record = await strapi.db.query(RECORD).findOne({ where: { entryKey: key } });
        if (target && target.id !== record?.imageFileId) return null; // set by hand
        const sameVideo = record && record.videoId === video.id && record.videoHash === videoHash;
        if (sameVideo && target) return null; // our thumbnail of this video is in place
        if (sameVideo && ['queued', 'processing', 'failed'].includes((await jobState(record.jobId)) ?? '')) {
          // On its way, or failed: publishing again doesn't retry (the jobs page does).
          return null;
        }
        const job = await plugin()
          .service('jobs')
          .submit({ videoId: video.id, templateId: rule.templateId, origin: 'publish', entry });
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
        const image = job.state === 'success' ? await plugin().service('results').ofJob(job.jobId) : null;
        const event = image
          ? await plugin()
              .service('events')
              .record(
                plugin()
                  .service('results')
                  .successEvent(image, { VideoId: video.id, ...entryEventFields(entry) }),
              )
          : null;
        return { ...(job as { jobId: string; state: string }), event };
      });
      if (outcome?.state === 'success') {
        await this.onJobSuccess(outcome.jobId);
        await plugin().service('events').send([outcome.event]);
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
      const entry = (typeof job.entry === 'string' ? JSON.parse(job.entry) : job.entry) as JobEntry | null;
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

    /**
     * Puts the file in the target field of the published version and the draft, written straight to the
     * database so no publish (and no job) follows. The Content Manager shows "modified" when the draft's
     * updatedAt is later than the published version's, so the rows are written in the order that keeps
     * what it showed before.
     */
    async fill(
      record: Record<string, unknown> & { id: number },
      jobId: string,
      fileId: number,
      dynamicImageId: number,
    ) {
      const rule = {
        uid: record.entryUid as string,
        videoField: record.videoField as string,
        targetField: record.targetField as string,
      };
      if (!model(rule.uid)) return;
      const entry: JobEntry = {
        uid: rule.uid,
        documentId: record.entryDocumentId as string,
        locale: (record.entryLocale as string | null) ?? null,
      };
      await strapi.db.transaction(async ({ trx }) => {
        await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [
          `auto-thumbnail:${record.entryKey}`,
        ]);
        const current = await strapi.db.query(RECORD).findOne({ where: { id: record.id } });
        if (!current || current.videoId !== record.videoId) return; // a newer publish took over
        const { draft, published } = await versions(rule, entry);
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
          await strapi.db
            .query(rule.uid)
            .update({ where: { id: row.id }, data: { [rule.targetField]: fileId } });
          wrote = true;
        }
        await strapi.db
          .query(RECORD)
          .update({ where: { id: record.id }, data: { imageFileId: fileId, jobId, filledAt: new Date() } });
      });
      if (record.setAsCover === true) await plugin().service('results').setCover(dynamicImageId);
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
