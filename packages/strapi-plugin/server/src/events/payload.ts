import { createHmac } from 'node:crypto';
import type { DynamicImageResult, EncoderReport } from '@dynamic-image/core';

/** The event's name in Strapi's webhook store (what a webhook subscribes to). */
export const COMPLETE_EVENT = 'dynamic-image.complete';

/** The flat body every receiver got so far (the default), and the nested one ApsaraVideo VOD sends. */
export const PAYLOAD_SHAPES = ['flat', 'vod'] as const;
export type PayloadShape = (typeof PAYLOAD_SHAPES)[number];

export interface DynamicImageCompleteEvent {
  EventType: 'DynamicImageComplete';
  EventTime: string;
  VideoId: number | null;
  JobId: string;
  Status: 'success' | 'fail';
  TemplateId?: string;
  TemplateName?: string;
  DynamicImageId?: number;
  FileURL?: string;
  FileSize?: number;
  Width?: number;
  Height?: number;
  Fps?: number;
  Format?: string;
  Duration?: number;
  ErrorCode?: string;
  ErrorMessage?: string;
  /** When the job was made for an entry (auto-thumbnail on publish). */
  EntryUid?: string;
  EntryDocumentId?: string;
  EntryLocale?: string | null;
  /** The backend and settings that made the file, as the worker reported them (absent from older workers). */
  Encoder?: EncoderReport;
  /** The window of the source the job used, in seconds (for `start: "auto"`, the one the worker chose). */
  WindowStart?: number;
  WindowDuration?: number;
  /** Whether the window's start was chosen automatically (template `start: "auto"`). */
  WindowAuto?: boolean;
}

/** The event's window fields from a job's result (none without a result). */
export function windowEventFields(
  result: Pick<DynamicImageResult, 'window'> | null | undefined,
): Pick<DynamicImageCompleteEvent, 'WindowStart' | 'WindowDuration' | 'WindowAuto'> {
  if (!result?.window) return {};
  return {
    WindowStart: result.window.start,
    WindowDuration: result.window.duration,
    WindowAuto: result.window.auto === true,
  };
}

const text = (value: unknown) => (value === undefined || value === null ? undefined : String(value));

/**
 * The body as a receiver written for ApsaraVideo VOD reads it: the job nested in `DynamicImageJobInfo`,
 * every value a string, `VideoId` a string. Fields VOD doesn't have are left out of the nesting but kept
 * at the top (entry links), so nothing the flat shape says is lost.
 */
export function toVodShape(event: DynamicImageCompleteEvent): Record<string, unknown> {
  const info = {
    JobId: event.JobId,
    Status: event.Status,
    TemplateId: text(event.TemplateId),
    TemplateName: text(event.TemplateName),
    FileURL: text(event.FileURL),
    FileSize: text(event.FileSize),
    Fps: text(event.Fps),
    Height: text(event.Height),
    Width: text(event.Width),
    Format: text(event.Format),
    Duration: text(event.Duration),
    DynamicImageId: text(event.DynamicImageId),
    ErrorCode: text(event.ErrorCode),
    ErrorMessage: text(event.ErrorMessage),
  };
  return {
    EventType: event.EventType,
    EventTime: event.EventTime,
    VideoId: text(event.VideoId) ?? '',
    Status: event.Status,
    DynamicImageJobInfo: Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)),
    ...(event.EntryUid
      ? { EntryUid: event.EntryUid, EntryDocumentId: event.EntryDocumentId, EntryLocale: event.EntryLocale }
      : {}),
    ...(event.Encoder ? { Encoder: event.Encoder } : {}),
    // VOD has no window fields; they stay at the top, as they are in the flat body.
    ...(event.WindowStart === undefined
      ? {}
      : {
          WindowStart: event.WindowStart,
          WindowDuration: event.WindowDuration,
          WindowAuto: event.WindowAuto,
        }),
  };
}

export function shapePayload(event: DynamicImageCompleteEvent, shape: PayloadShape): Record<string, unknown> {
  // The flat body keeps the two fields Strapi's webhook runner put in front, for receivers that route on them.
  return shape === 'vod'
    ? toVodShape(event)
    : { event: COMPLETE_EVENT, createdAt: event.EventTime, ...event };
}

export const EVENT_SIGNATURE_HEADER = 'x-dynamic-image-event-signature';
export const EVENT_DELIVERY_HEADER = 'x-dynamic-image-delivery';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe and others sign webhooks: a receiver
 * checks the HMAC with the signing secret and refuses old timestamps (docs/events.md has the snippet).
 */
export function signEventBody(secret: string, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}
