// Previews go through the same queue contract as jobs, but their result is kept in a row of their
// own (base64, for an hour) instead of the Media Library, so trying a template leaves no files.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  type DynamicImageJobData,
  type DynamicImageResult,
  decodeResultMetadata,
  deliveryUrl,
  type FailureBody,
  isErrorCode,
  JOB_CONTRACT_VERSION,
  PREVIEW_META,
  parseFailureBody,
  parseProgressBody,
  parseTemplate,
  TEMPLATE_LIMITS,
  type Template,
  TemplateValidationError,
  workerEndpoints,
} from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { checked } from '../contract';
import type { ReceivedFile } from '../controllers/worker-body';
import { jsonColumn } from '../data/json';
import { endedMeanwhile, fromValidation, invalidParameter, jobStateConflict, notFound } from '../errors';
import { getService } from '../utils/get-service';
import { publicUrl as publicUrlOf } from '../utils/public-url';

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
  const result = jsonColumn<{ format?: string } | null>(row.result);
  return {
    previewId: row.previewId,
    videoId: row.videoId,
    state: row.state,
    progress: row.progress ?? 0,
    template: jsonColumn(row.template),
    result: result ?? null,
    dataUrl: row.data && result?.format ? `data:image/${result.format};base64,${row.data}` : null,
    errorCode: row.errorCode ?? null,
    errorMessage: row.errorMessage ?? null,
  };
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const find = async (previewId: string) => {
    const row = await strapi.db.query(PREVIEW).findOne({ where: { previewId } });
    if (!row) throw notFound('Preview', previewId);
    return row;
  };

  return {
    async create(input: { videoId?: unknown; template?: unknown }) {
      const video = await getService(strapi, 'jobs').video(input.videoId);
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
      const publicUrl = publicUrlOf(strapi);
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
          delivery: { kind: 'http', url: deliveryUrl(publicUrl, workerEndpoints.previewResult(previewId)) },
          timeoutSeconds: 120,
          requestedAt: new Date().toISOString(),
          maxWindowSeconds: PREVIEW_LIMITS.maxSeconds,
          meta: { ...PREVIEW_META },
        };
        await getService(strapi, 'queue').send(payload, trx);
        return created;
      });
      return present(row);
    },

    async get(previewId: string) {
      return present(await find(previewId));
    },

    async store(previewId: string, received: ReceivedFile, encodedResult: string | undefined) {
      const result: DynamicImageResult = checked(decodeResultMetadata, encodedResult, 'result');
      if (result.jobId !== previewId || received.sha256 !== result.sha256 || received.size !== result.bytes) {
        throw invalidParameter('body', 'the file does not match the result (job, sha256 or size)');
      }
      const row = await find(previewId);
      const stored = jsonColumn<{ sha256?: string } | null>(row.result);
      // The same result again is answered as before; a preview that ended otherwise is not rewritten.
      if (row.state === 'success' && stored?.sha256 === result.sha256) return { previewId, state: 'success' };
      const data = (await readFile(received.path)).toString('base64');
      const { count } = await strapi.db.query(PREVIEW).updateMany({
        where: { previewId, state: { $in: ['queued', 'processing'] } },
        data: { state: 'success', progress: 100, result, data },
      });
      if (count === 0) throw jobStateConflict('Preview', previewId, (await find(previewId)).state);
      return { previewId, state: 'success' };
    },

    // Progress reports are sent without waiting and may land after the result: one conditional
    // UPDATE, so a late report never turns a finished preview back into a running one (it gets 409).
    async markProgress(previewId: string, body: unknown) {
      const progress = checked(parseProgressBody, body);
      if (progress.jobId !== previewId)
        throw invalidParameter('body', `the report is for job ${progress.jobId}, not ${previewId}`);
      await find(previewId);
      const { count } = await strapi.db.query(PREVIEW).updateMany({
        where: { previewId, state: { $in: ['queued', 'processing'] } },
        data: { state: 'processing', progress: Math.max(0, Math.min(99, Math.round(progress.percent))) },
      });
      if (count === 0) throw jobStateConflict('Preview', previewId, (await find(previewId)).state);
    },

    async markFailure(previewId: string, body: unknown) {
      return this.fail(previewId, checked(parseFailureBody, body));
    },

    async fail(previewId: string, failure: Pick<FailureBody, 'code' | 'message' | 'final'>) {
      const row = await find(previewId);
      if (row.state === 'success' || row.state === 'failed')
        throw jobStateConflict('Preview', previewId, row.state);
      if (!failure.final) return;
      const { count } = await strapi.db.query(PREVIEW).updateMany({
        where: { previewId, state: { $in: ['queued', 'processing'] } },
        data: {
          state: 'failed',
          errorCode: isErrorCode(failure.code) ? failure.code : 'INTERNAL',
          errorMessage: String(failure.message ?? '').slice(0, 2000),
        },
      });
      if (count === 0) throw jobStateConflict('Preview', previewId, (await find(previewId)).state);
    },

    /** A preview pg-boss gave up on; false when the id is not a preview. */
    async markDead(previewId: string, output: unknown): Promise<boolean> {
      const row = await strapi.db.query(PREVIEW).findOne({ where: { previewId } });
      if (!row) return false;
      // Already ended (its worker's final failure got there first): nothing to record.
      if (row.state === 'success' || row.state === 'failed') return true;
      const parsed = jsonColumn(output);
      const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
      await this.fail(previewId, {
        code: error?.code ?? 'INTERNAL',
        message: error?.message ?? 'The preview ran out of retries without a result',
        final: true,
      }).catch(endedMeanwhile);
      return true;
    },
  };
};
