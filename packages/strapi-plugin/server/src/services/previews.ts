// Previews go through the same queue contract as jobs, but their result is kept in a row of their
// own (base64, for an hour) instead of the Media Library, so trying a template leaves no files.
import { createHash, randomUUID } from 'node:crypto';
import {
  type DynamicImageJobData,
  isErrorCode,
  JOB_CONTRACT_VERSION,
  jobResultSchema,
  parseTemplate,
  TEMPLATE_LIMITS,
  type Template,
  TemplateValidationError,
} from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { fromValidation, invalidParameter, notFound } from '../errors';

const PREVIEW = 'plugin::dynamic-image.preview';
const KEEP_MS = 60 * 60 * 1000;
/** Small and short: a preview shows the look, not the final file. */
export const PREVIEW_LIMITS = { maxSide: 320, maxFps: 12, maxSeconds: 3 } as const;

/**
 * The template shrunk to preview size: long side at most 320 px, 12 fps, a 3 s window at most. A
 * trimBeginEnd window depends on the source's length, unknown here: the job also carries
 * `maxWindowSeconds`, which the worker applies to the window it resolves, in either method.
 */
export function previewTemplate(template: Template): Template {
  const t: Template = { ...template, fps: Math.min(template.fps, PREVIEW_LIMITS.maxFps) };
  const side = Math.max(t.width ?? 0, t.height ?? 0);
  if (side === 0) t.width = PREVIEW_LIMITS.maxSide;
  else if (side > PREVIEW_LIMITS.maxSide) {
    const k = PREVIEW_LIMITS.maxSide / side;
    const scale = (v: number | undefined) =>
      v === undefined ? undefined : Math.max(TEMPLATE_LIMITS.sizeMin, Math.round(v * k));
    t.width = scale(t.width);
    t.height = scale(t.height);
    if (t.width === undefined) delete t.width;
    if (t.height === undefined) delete t.height;
  }
  if (t.captureMethod === 'byDuration')
    t.duration = Math.min(t.duration ?? PREVIEW_LIMITS.maxSeconds, PREVIEW_LIMITS.maxSeconds);
  return t;
}

function present(row: Record<string, unknown>) {
  const result = (typeof row.result === 'string' ? JSON.parse(row.result) : row.result) as {
    format?: string;
  } | null;
  return {
    previewId: row.previewId,
    videoId: row.videoId,
    state: row.state,
    progress: row.progress ?? 0,
    template: typeof row.template === 'string' ? JSON.parse(row.template) : row.template,
    result: result ?? null,
    dataUrl: row.data && result?.format ? `data:image/${result.format};base64,${row.data}` : null,
    errorCode: row.errorCode ?? null,
    errorMessage: row.errorMessage ?? null,
  };
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const plugin = () => strapi.plugin('dynamic-image');
  const find = async (previewId: string) => {
    const row = await strapi.db.query(PREVIEW).findOne({ where: { previewId } });
    if (!row) throw notFound('Preview', previewId);
    return row;
  };

  return {
    async create(input: { videoId?: unknown; template?: unknown }) {
      const video = await plugin().service('jobs').video(input.videoId);
      let template: Template;
      try {
        template = previewTemplate(parseTemplate(input.template));
      } catch (err) {
        if (err instanceof TemplateValidationError) throw fromValidation(err);
        throw err;
      }
      // Old previews go when new ones come.
      await strapi.db.query(PREVIEW).deleteMany({ where: { expiresAt: { $lt: new Date() } } });
      const previewId = randomUUID();
      const jobs = plugin().service('jobs');
      const publicUrl = jobs.publicUrl() as string;
      const row = await strapi.db.transaction(async ({ trx }) => {
        const created = await strapi.db.query(PREVIEW).create({
          data: {
            previewId,
            videoId: video.id,
            state: 'queued',
            progress: 0,
            template,
            expiresAt: new Date(Date.now() + KEEP_MS),
          },
        });
        const payload: DynamicImageJobData = {
          version: JOB_CONTRACT_VERSION,
          jobId: previewId,
          source: {
            url: /^https?:\/\//.test(video.url) ? video.url : new URL(video.url, publicUrl).toString(),
            name: video.name,
            mime: video.mime,
            size: Math.round(Number(video.size) * 1024),
            videoId: video.id,
          },
          template,
          delivery: { kind: 'http', url: `${publicUrl}/api/dynamic-image/worker/previews/${previewId}` },
          timeoutSeconds: 120,
          requestedAt: new Date().toISOString(),
          maxWindowSeconds: PREVIEW_LIMITS.maxSeconds,
          meta: { preview: true },
        };
        await plugin().service('queue').send(payload, trx);
        return created;
      });
      return present(row);
    },

    async get(previewId: string) {
      return present(await find(previewId));
    },

    async store(previewId: string, bytes: Buffer, encodedResult: string | undefined) {
      let result: ReturnType<typeof jobResultSchema.parse>;
      try {
        result = jobResultSchema.parse(
          JSON.parse(Buffer.from(encodedResult ?? '', 'base64url').toString('utf8')),
        );
      } catch {
        throw invalidParameter('result', 'the x-dynamic-image-result header must hold the job result');
      }
      if (
        result.jobId !== previewId ||
        createHash('sha256').update(bytes).digest('hex') !== result.sha256 ||
        bytes.length !== result.bytes
      ) {
        throw invalidParameter('body', 'the file does not match the result (job, sha256 or size)');
      }
      await find(previewId);
      await strapi.db.query(PREVIEW).update({
        where: { previewId },
        data: { state: 'success', progress: 100, result, data: bytes.toString('base64') },
      });
      return { previewId, state: 'success' };
    },

    // Progress reports are sent without waiting and may land after the result: one conditional
    // UPDATE, so a late report never turns a finished preview back into a running one.
    async markProgress(previewId: string, progress: { percent: number }) {
      await find(previewId);
      await strapi.db.query(PREVIEW).updateMany({
        where: { previewId, state: { $in: ['queued', 'processing'] } },
        data: { state: 'processing', progress: Math.max(0, Math.min(99, Math.round(progress.percent))) },
      });
    },

    async markFailure(previewId: string, failure: { code: string; message: string; final: boolean }) {
      await find(previewId);
      if (!failure.final) return;
      await strapi.db.query(PREVIEW).updateMany({
        where: { previewId, state: { $in: ['queued', 'processing'] } },
        data: {
          state: 'failed',
          errorCode: isErrorCode(failure.code) ? failure.code : 'INTERNAL',
          errorMessage: String(failure.message ?? '').slice(0, 2000),
        },
      });
    },

    /** A preview pg-boss gave up on; false when the id is not a preview. */
    async markDead(previewId: string, output: unknown): Promise<boolean> {
      if (!(await strapi.db.query(PREVIEW).findOne({ where: { previewId } }))) return false;
      const parsed = typeof output === 'string' ? JSON.parse(output) : output;
      const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
      await this.markFailure(previewId, {
        code: error?.code ?? 'INTERNAL',
        message: error?.message ?? 'The preview ran out of retries without a result',
        final: true,
      });
      return true;
    },
  };
};
