import { boomerangFrames } from './playback.js';
import type { DynamicImageFormat } from './template.js';
import { TEMPLATE_LIMITS } from './template.js';
import type { CaptureWindow } from './window.js';

export interface FrameTiming {
  requestedFps: number;
  /** Frames taken per second of the source (the template's fps, unless the playback cap lowered it). */
  sampleFps: number;
  /** The rate the output plays at: sampleFps × speed. */
  fps: number;
  /** Playback speed apart from sampling: 2 plays a 4 s window in 2 s. */
  speed: number;
  boomerang: boolean;
  /** Frames taken from the window: max(1, round(window × sampleFps)). */
  sampledFrames: number;
  /** Frames in the output: sampledFrames, or forward then back for a boomerang (2n − 2). */
  frameCount: number;
  averageDelayMs: number;
  /** Seconds the output plays once: frameCount / fps. */
  playSeconds: number;
  /** GIF stores delays in centiseconds, WebP in milliseconds. */
  delayUnitMs: 10 | 1;
  capped: boolean;
  note?: string;
}

export interface PlaybackOptions {
  speed?: number | undefined;
  boomerang?: boolean | undefined;
}

/** The highest rate an output plays at: GIF delays are whole centiseconds, browsers stretch 0–1 cs. */
export const maxPlaybackFps = (format: DynamicImageFormat): number =>
  format === 'gif' ? TEMPLATE_LIMITS.gifMaxPlayableFps : TEMPLATE_LIMITS.fpsMax;

/**
 * GIF delays are whole centiseconds and browsers play 0–1 cs delays as ~10 cs, so a GIF plays at
 * most 50 fps (2 cs); WebP at most 60. When fps × speed passes the cap, the output plays at the cap and
 * frames are sampled at cap / speed: fewer frames, the same speed. Below it, ffmpeg's GIF muxer rounds each
 * delay from the frame timestamps (30 fps → 3, 4, 3 cs…), so the total stays within a frame of the window.
 */
export function resolveFrameTiming(
  format: DynamicImageFormat,
  fps: number,
  window: CaptureWindow,
  playback: PlaybackOptions = {},
): FrameTiming {
  const speed = playback.speed ?? 1;
  const boomerang = playback.boomerang === true;
  const cap = maxPlaybackFps(format);
  // In hundredths, as speed is: the rate ffmpeg is given is then an exact fraction.
  const asked = Math.round(fps * speed * 100) / 100;
  const played = Math.min(asked, cap);
  const capped = played < asked;
  const sampleFps = played / speed;
  const sampledFrames = Math.max(1, Math.round(window.duration * sampleFps));
  const frameCount = boomerang ? boomerangFrames(sampledFrames) : sampledFrames;
  const timing: FrameTiming = {
    requestedFps: fps,
    sampleFps,
    fps: played,
    speed,
    boomerang,
    sampledFrames,
    frameCount,
    averageDelayMs: 1000 / played,
    playSeconds: frameCount / played,
    delayUnitMs: format === 'gif' ? 10 : 1,
    capped,
  };
  if (capped) {
    const kind = format === 'gif' ? 'GIF' : 'WebP';
    timing.note =
      speed === 1
        ? `${kind} plays at most ${cap} fps${format === 'gif' ? ' (2 cs per frame)' : ''}; ${fps} fps is encoded at ${cap} fps`
        : `${kind} plays at most ${cap} fps; ${fps} fps at speed ${speed} is sampled at ${+sampleFps.toFixed(3)} fps`;
  }
  return timing;
}
