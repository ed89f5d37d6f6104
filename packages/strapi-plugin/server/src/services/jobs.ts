import { createHash, randomUUID } from 'node:crypto';
import {
  applyOverrides,
  checkBudget,
  DynamicImageError,
  submitCost,
  type Template,
  TemplateValidationError,
  workerEndpoints,
} from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { limitsOf, type PluginConfig } from '../config';
import { encodeJobOf, jobsOfContent } from '../data/content-jobs';
import { withAdvisoryLock } from '../data/locks';
import { getTemplate } from '../data/templates';
import { fromCore, fromValidation, illegalStatus, invalidParameter, notFound } from '../errors';
import { getService } from '../utils/get-service';
import type { PendingEvent } from './events';
import { parseJobFilters } from './job-filters';
import { jobPayload, type VideoFile } from './job-payload';
import { failEvent, type JobEntry, presentJob } from './job-rows';

const JOB = 'plugin::dynamic-image.job';
const FILE = 'plugin::upload.file';

/** Where a job came from; `admin` is a one-off made in the admin panel ("Make dynamic image"). */
export type JobOrigin = 'api' | 'admin' | 'upload' | 'workflow' | 'retry' | 'publish';

export interface SubmitRequest {
  videoId: unknown;
  templateId: unknown;
  overrideParams?: unknown;
  workflowId?: string;
  origin: JobOrigin;
  /** Make it again even if the same video and template already have a job. */
  force?: boolean;
  entry?: JobEntry | null;
  /** The content-API caller (callers.ts), held to limits.maxActiveJobsPerCaller; absent for the admin and the CMS itself. */
  caller?: string | null;
}

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const limits = () => limitsOf(strapi.config.get('plugin::dynamic-image') as PluginConfig);

  return {
    async video(videoId: unknown): Promise<VideoFile> {
      const id = Number(videoId);
      if (!Number.isInteger(id) || id <= 0)
        throw invalidParameter('videoId', `videoId must be a file id; got ${JSON.stringify(videoId)}`);
      const file = await strapi.db.query(FILE).findOne({ where: { id } });
      if (!file) throw notFound('Video', videoId);
      if (!String(file.mime ?? '').startsWith('video/')) {
        throw invalidParameter('videoId', `file ${id} is ${file.mime}, not a video`);
      }
      return file;
    },

    async submit(request: SubmitRequest) {
      if (typeof request.templateId !== 'string' || !request.templateId) {
        throw invalidParameter(
          'templateId',
          `templateId is required; got ${JSON.stringify(request.templateId)}`,
        );
      }
      const video = await this.video(request.videoId);
      const stored = await getTemplate(strapi, request.templateId);
      const { templateId, createdAt: _c, updatedAt: _u, ...base } = stored;
      let template: Template;
      try {
        template = applyOverrides(base as Template, request.overrideParams);
      } catch (err) {
        if (err instanceof TemplateValidationError) throw fromValidation(err);
        throw err;
      }
      return this.enqueue(video, templateId, template, request);
    },

    /**
     * Refuses a template over the budget by what it alone tells of its cost (a byDuration window at a
     * declared size); the worker checks the whole plan once it has probed the source.
     */
    checkCost(template: Template) {
      const { maxPixelFrames, maxOutputBytes } = limits();
      const cost = submitCost(template);
      try {
        if (cost) checkBudget(cost, { maxPixelFrames, maxOutputBytes });
      } catch (err) {
        if (err instanceof DynamicImageError) throw fromCore(err);
        throw err;
      }
    },

    /** Refuses a workflow any of whose templates is over the budget, before anything is stored or queued. */
    async checkWorkflowCost(workflow: { nodes: Array<{ templateId: string }> }) {
      for (const node of workflow.nodes) {
        const {
          templateId: _t,
          createdAt: _c,
          updatedAt: _u,
          ...template
        } = await getTemplate(strapi, node.templateId);
        this.checkCost(template as Template);
      }
    },

    /** Queues a job making `template` (overrides applied) from a video, unless the same job exists. */
    async enqueue(
      video: VideoFile,
      templateId: string,
      template: Template,
      request: Omit<SubmitRequest, 'videoId' | 'templateId'>,
    ) {
      this.checkCost(template);
      const { maxPixelFrames, maxOutputBytes } = limits();
      // The same file content and the same resolved template make the same dynamic image. A file
      // that can't be read to hash it is keyed on itself (its job will fail SOURCE_UNREACHABLE anyway);
      // one whose read broke a `contentHash` limit makes a job that has failed already, with the code.
      const hashed = await getService(strapi, 'fileHashes')
        .of(video)
        .catch((err: unknown) => {
          if (err instanceof DynamicImageError) return err;
          throw err;
        });
      const refusal = hashed instanceof DynamicImageError ? hashed : null;
      const content =
        (typeof hashed === 'string' ? hashed : null) ?? `file:${video.id}:${video.hash}:${video.updatedAt}`;
      const dedupeKey = createHash('sha256')
        .update(`${content}:${stable(template)}`)
        .digest('hex');

      let failed: PendingEvent | null = null;
      // A job made inside another transaction (an entry's publish) is settled once that one commits.
      const nested = strapi.db.inTransaction();
      const made = await strapi.db.transaction(async ({ trx, onCommit }) => {
        // Two CMS instances reacting to one upload serialise here; the second finds the first's job.
        await withAdvisoryLock(trx, 'dedupe', dedupeKey);
        // This video's job of the same content and template is the answer; another video's, an encode to share.
        const { own, other } = request.force
          ? { own: null, other: null }
          : await jobsOfContent(strapi, dedupeKey, video.id);
        if (own) return { ...presentJob(own), created: false };
        const encodeJobId = other && !refusal ? encodeJobOf(other) : null;
        await getService(strapi, 'callers').ensureRoom(request.caller, 1, trx);
        const jobId = randomUUID();
        const row = await strapi.db.query(JOB).create({
          data: {
            jobId,
            dedupeKey,
            encodeJobId,
            video: video.id,
            videoId: video.id,
            templateId,
            workflowId: request.workflowId ?? null,
            templateSnapshot: template,
            overrideParams: request.overrideParams ?? null,
            origin: request.origin,
            entry: request.entry ?? null,
            caller: request.caller ?? null,
            state: refusal ? 'failed' : 'queued',
            progress: 0,
            attempts: 0,
            queuedAt: new Date(),
            ...(refusal
              ? { errorCode: refusal.code, errorMessage: refusal.message, finishedAt: new Date() }
              : {}),
          },
        });
        if (refusal) {
          // Never queued: it ends here, and its event is sent after the commit.
          failed = await getService(strapi, 'events').record(failEvent(row, refusal.code, refusal.message));
          return { ...presentJob(row), created: true };
        }
        // Never queued: it ends when the encode it shares does (shared-encodes.ts).
        if (encodeJobId) {
          if (nested) getService(strapi, 'sharedEncodes').settleAfterCommit(encodeJobId, onCommit);
          return { ...presentJob(row), created: true };
        }
        const payload = jobPayload(
          strapi,
          { jobId, video, template, resultPath: workerEndpoints.jobResult(jobId) },
          {
            timeoutSeconds: strapi.config.get('plugin::dynamic-image.jobTimeoutSeconds') as number,
            budget: { maxPixelFrames, maxOutputBytes },
          },
        );
        await getService(strapi, 'queue').send(payload, trx);
        return { ...presentJob(row), created: true };
      });
      await getService(strapi, 'events').send([failed]);
      if (!made.created || !made.encodeJobId || nested) return made;
      // The shared encode may have ended already (or meanwhile): this job ends with it, now.
      await getService(strapi, 'sharedEncodes').settle(made.encodeJobId as string);
      return { ...(await this.get(made.jobId as string)), created: true };
    },

    /** `force` makes every job again even where the same file and template already have one. */
    async submitWorkflow(
      videoId: unknown,
      workflowRef: string,
      origin: JobOrigin,
      force = false,
      caller: string | null = null,
    ) {
      const workflow = await getService(strapi, 'workflows').getRunnableByRef(workflowRef);
      await this.video(videoId);
      // Room and budget for the whole workflow first, so a refused run doesn't leave half its jobs behind.
      await getService(strapi, 'callers').ensureRoom(caller, workflow.nodes.length);
      await this.checkWorkflowCost(workflow);
      const jobs = [];
      for (const node of workflow.nodes) {
        jobs.push(
          await this.submit({
            videoId,
            templateId: node.templateId,
            workflowId: workflow.workflowId,
            origin,
            force,
            caller,
          }),
        );
      }
      return { workflowId: workflow.workflowId, videoId: Number(videoId), jobs };
    },

    async get(jobId: string) {
      const row = await strapi.db.query(JOB).findOne({ where: { jobId } });
      if (!row) throw notFound('Job', jobId);
      return presentJob(row);
    },

    /** Checked here, not in a controller, so REST and GraphQL refuse the same values the same way. */
    async list(raw: { videoId?: unknown; state?: unknown; limit?: unknown } = {}) {
      const filters = parseJobFilters(raw);
      const where: Record<string, unknown> = {};
      if (filters.videoId !== undefined) where.videoId = filters.videoId;
      if (filters.state !== undefined) where.state = filters.state;
      const rows = await strapi.db
        .query(JOB)
        .findMany({ where, orderBy: { queuedAt: 'desc' }, limit: filters.limit });
      return rows.map(presentJob);
    },

    async retry(jobId: string, caller: string | null = null) {
      const job = await this.get(jobId);
      if (job.state !== 'failed') {
        throw illegalStatus(`Job ${jobId} is ${job.state}; only failed jobs can be retried`);
      }
      // The job again as it was asked for: its template snapshot (overrides applied), not the template as it
      // is now, which may have been edited or deleted since.
      return this.enqueue(await this.video(job.videoId), job.templateId as string, job.template as Template, {
        overrideParams: (job.overrideParams as Record<string, unknown> | null) ?? undefined,
        workflowId: (job.workflowId as string | null) ?? undefined,
        origin: 'retry',
        force: true,
        entry: job.entry,
        caller,
      });
    },
  };
};
