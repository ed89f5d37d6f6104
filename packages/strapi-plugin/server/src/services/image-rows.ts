// A dynamic image row as the API and the events read it: its public shape, and its `DynamicImageComplete`.
import type { Core } from '@strapi/strapi';
import { absoluteUrl } from '../utils/public-url';
import type { DynamicImageCompleteEvent } from './events';

/**
 * `url` is absolute on the public URL, as `coverUrl` and the webhook's `FileURL`: a reader elsewhere can
 * fetch it as given (a provider's URL, as S3's, is absolute already and kept).
 */
export function presentImage(strapi: Core.Strapi, row: Record<string, unknown>) {
  const file = row.file as { id?: number; url?: string; mime?: string } | null | undefined;
  return {
    dynamicImageId: row.id,
    jobId: row.jobId,
    videoId: row.videoId,
    templateId: row.templateId,
    fileId: file?.id ?? null,
    url: file?.url ? absoluteUrl(strapi, file.url) : null,
    format: row.format,
    width: row.width,
    height: row.height,
    duration: Number(row.duration),
    fps: Number(row.fps),
    frameCount: row.frameCount,
    size: row.size,
    isCover: row.isCover === true,
    createdAt: row.createdAt,
  };
}

/** `DynamicImageComplete` for a stored dynamic image; `extra` names another video or entry. */
export function successEventOf(
  d: ReturnType<typeof presentImage>,
  extra: Partial<DynamicImageCompleteEvent> = {},
): Omit<DynamicImageCompleteEvent, 'EventType' | 'EventTime'> {
  return {
    VideoId: d.videoId as number,
    JobId: d.jobId as string,
    Status: 'success',
    DynamicImageId: d.dynamicImageId as number,
    FileURL: String(d.url), // absolute already (presentImage)
    FileSize: d.size as number,
    Width: d.width as number,
    Height: d.height as number,
    Fps: d.fps,
    Format: d.format as string,
    Duration: d.duration,
    ...extra,
  };
}
