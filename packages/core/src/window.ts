import { DynamicImageError } from './errors.js';
import type { SourceProbe } from './probe.js';
import type { Template } from './template.js';

/** Seconds from the source's first presentable instant, as `ffmpeg -ss` before `-i` means them. */
export interface CaptureWindow {
  start: number;
  end: number;
  duration: number;
  /** Set when the start was chosen automatically (`start: "auto"`, highlight.ts). */
  auto?: true;
}

const ms = (seconds: number) => Math.round(seconds * 1000);

/**
 * The exact [start, end) a template captures. byDuration is cut at the source's end; trimBeginEnd
 * ends at duration − trimEnd. A window with no room left is WINDOW_OUT_OF_RANGE.
 */
export function resolveCaptureWindow(
  template: Pick<Template, 'captureMethod' | 'start' | 'duration' | 'trimEnd'>,
  probe: Pick<SourceProbe, 'duration' | 'startTime'>,
): CaptureWindow {
  if (template.start === 'auto') {
    // The worker replaces it with the chosen start (highlight.ts) before it plans.
    throw new DynamicImageError(
      'INVALID_TEMPLATE',
      'start "auto" must be chosen before the window is resolved',
    );
  }
  // Whole milliseconds throughout, so float noise can't make an empty window look non-empty.
  const sourceMs = Math.floor(probe.duration * 1000);
  const startMs = ms(template.start);
  const details = { start: template.start, sourceDuration: probe.duration };
  if (!Number.isFinite(probe.duration) || sourceMs <= 0) {
    throw new DynamicImageError(
      'WINDOW_OUT_OF_RANGE',
      `The source has no usable duration (${probe.duration})`,
      details,
    );
  }
  if (startMs >= sourceMs) {
    throw new DynamicImageError(
      'WINDOW_OUT_OF_RANGE',
      `The window starts at ${template.start} s, at or after the end of the ${probe.duration} s source`,
      details,
    );
  }
  const endMs =
    template.captureMethod === 'byDuration'
      ? Math.min(startMs + ms(template.duration ?? 0), sourceMs)
      : sourceMs - ms(template.trimEnd ?? 0);
  if (endMs <= startMs) {
    throw new DynamicImageError(
      'WINDOW_OUT_OF_RANGE',
      `The window ${template.start}–${endMs / 1000} s leaves nothing of the ${probe.duration} s source`,
      { ...details, end: endMs / 1000 },
    );
  }
  return { start: startMs / 1000, end: endMs / 1000, duration: (endMs - startMs) / 1000 };
}

/** The window cut to at most `maxSeconds` from its start, on whole milliseconds like the window itself. */
export function capWindow(window: CaptureWindow, maxSeconds?: number): CaptureWindow {
  if (maxSeconds === undefined || !(maxSeconds > 0) || window.duration <= maxSeconds) return window;
  const endMs = ms(window.start) + Math.max(1, ms(maxSeconds));
  return { ...window, end: endMs / 1000, duration: (endMs - ms(window.start)) / 1000 };
}
