// Previews go through the same queue contract as jobs (job-payload.ts, worker-reports/), but their
// result is kept in a row of their own (base64, for an hour) instead of the Media Library, so trying a
// template leaves no files.
import { randomUUID } from 'node:crypto';
import {
  PREVIEW_META,
  parseTemplate,
  TEMPLATE_LIMITS,
  type Template,
  TemplateValidationError,
  workerEndpoints,
} from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { jsonColumn } from '../data/json';
import { fromValidation } from '../errors';
import { getService } from '../utils/get-service';
import { jobPayload } from './job-payload';
import { jobStates, TABLES } from './job-states';

const PREVIEW = TABLES.preview.uid;
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
  const previews = jobStates(strapi, TABLES.preview);

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
        const payload = jobPayload(
          strapi,
          { jobId: previewId, video, template, resultPath: workerEndpoints.previewResult(previewId) },
          { timeoutSeconds: 120, maxWindowSeconds: PREVIEW_LIMITS.maxSeconds, meta: { ...PREVIEW_META } },
        );
        await getService(strapi, 'queue').send(payload, trx);
        return created;
      });
      return present(row);
    },

    async get(previewId: string) {
      return present(await previews.get(previewId));
    },
  };
};
