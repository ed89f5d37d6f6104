import type { DynamicImageFormat } from './template.js';
import { TEMPLATE_LIMITS } from './template.js';
import type { CaptureWindow } from './window.js';

export interface FrameTiming {
  requestedFps: number;
  /** The rate fed to ffmpeg's fps filter, which is the rate the output really plays at. */
  fps: number;
  /** Expected frames: max(1, round(window × fps)). */
  frameCount: number;
  averageDelayMs: number;
  /** GIF stores delays in centiseconds, WebP in milliseconds. */
  delayUnitMs: 10 | 1;
  capped: boolean;
  note?: string;
}

/**
 * GIF delays are whole centiseconds and browsers play 0–1 cs delays as ~10 cs, so a GIF plays at
 * most 50 fps (2 cs): faster templates are encoded at 50. Below that, ffmpeg's GIF muxer rounds each
 * delay from the frame timestamps (30 fps → 3, 4, 3 cs…), so the total stays within a frame of the window.
 */
export function resolveFrameTiming(
  format: DynamicImageFormat,
  fps: number,
  window: CaptureWindow,
): FrameTiming {
  const cap = format === 'gif' ? TEMPLATE_LIMITS.gifMaxPlayableFps : TEMPLATE_LIMITS.fpsMax;
  const played = Math.min(fps, cap);
  const capped = played < fps;
  const timing: FrameTiming = {
    requestedFps: fps,
    fps: played,
    frameCount: Math.max(1, Math.round(window.duration * played)),
    averageDelayMs: 1000 / played,
    delayUnitMs: format === 'gif' ? 10 : 1,
    capped,
  };
  if (capped)
    timing.note = `GIF plays at most ${cap} fps (2 cs per frame); ${fps} fps is encoded at ${cap} fps`;
  return timing;
}
