// A dynamic image row as the API and the events read it: its public shape, and its `DynamicImageComplete`.
import type { Core } from '@strapi/strapi';
import { publicUrl } from '../utils/public-url';
import type { DynamicImageCompleteEvent } from './events';

export function presentImage(row: Record<string, unknown>) {
  const file = row.file as { id?: number; url?: string; mime?: string } | null | undefined;
  return {
    dynamicImageId: row.id,
    jobId: row.jobId,
    videoId: row.videoId,
    templateId: row.templateId,
    fileId: file?.id ?? null,
    url: file?.url ?? null,
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
  strapi: Core.Strapi,
  d: ReturnType<typeof presentImage>,
  extra: Partial<DynamicImageCompleteEvent> = {},
): Omit<DynamicImageCompleteEvent, 'EventType' | 'EventTime'> {
  return {
    VideoId: d.videoId as number,
    JobId: d.jobId as string,
    Status: 'success',
    DynamicImageId: d.dynamicImageId as number,
    FileURL: new URL(String(d.url), publicUrl(strapi)).toString(),
    FileSize: d.size as number,
    Width: d.width as number,
    Height: d.height as number,
    Fps: d.fps,
    Format: d.format as string,
    Duration: d.duration,
    ...extra,
  };
}
