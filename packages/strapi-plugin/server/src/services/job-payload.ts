// What the queue carries for a job and for a preview alike (core's DynamicImageJobData): a video and a
// template, delivered over HTTP to the CMS. The two differ only in where the result is delivered and in
// their limits (time, budget, window).
import {
  type DynamicImageJobData,
  deliveryUrl,
  JOB_CONTRACT_VERSION,
  type Template,
} from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { absoluteUrl, publicUrl } from '../utils/public-url';

/** The Media Library file of a video, as jobs and previews read it. */
export interface VideoFile {
  id: number;
  url: string;
  name: string;
  mime: string;
  size: number | string;
  hash: string;
  folderPath?: string;
  updatedAt: unknown;
}

/** The limits a kind of job gives the worker: its time, and optionally a budget, a window cap, meta. */
export type PayloadLimits = Pick<
  DynamicImageJobData,
  'timeoutSeconds' | 'budget' | 'maxWindowSeconds' | 'meta'
>;

/** The queue payload making `template` from `video`, its result posted to `resultPath` (core's workerEndpoints). */
export function jobPayload(
  strapi: Core.Strapi,
  job: { jobId: string; video: VideoFile; template: Template; resultPath: string },
  limits: PayloadLimits,
): DynamicImageJobData {
  const { jobId, video, template, resultPath } = job;
  return {
    version: JOB_CONTRACT_VERSION,
    jobId,
    source: {
      url: absoluteUrl(strapi, video.url),
      name: video.name,
      mime: video.mime,
      // Strapi keeps a file's size in KB.
      size: Math.round(Number(video.size) * 1024),
      videoId: video.id,
    },
    template,
    delivery: { kind: 'http', url: deliveryUrl(publicUrl(strapi), resultPath) },
    requestedAt: new Date().toISOString(),
    ...limits,
  };
}
