// The cost ceiling of one dynamic image: decoded pixels × frames (what ffmpeg's filters and the encoder
// touch) and the bytes the file may reach. A plan over either is refused before ffmpeg starts; the
// plugin checks what a template alone tells at submit, the worker checks the full plan once the
// source is probed.
import { DynamicImageError } from './errors.js';
import type { DynamicImageFormat, Template } from './template.js';
import { resolveFrameTiming } from './timing.js';

export interface PlanBudget {
  /** Output width × height × frame count. */
  maxPixelFrames: number;
  /** The largest file a job may make: the estimate is refused at planning, the real file while encoding. */
  maxOutputBytes: number;
}

export const DEFAULT_PLAN_BUDGET: PlanBudget = {
  // About 1080p at 30 fps for 32 s, or 480×270 at 10 fps for over four hours.
  maxPixelFrames: 2_000_000_000,
  // The CMS's own limit on a worker's result body: a larger file could not be delivered anyway.
  maxOutputBytes: 256 * 1024 * 1024,
};

/** Bounds a configuration may set (a budget of 0 would refuse everything; one past these nothing). */
export const PLAN_BUDGET_LIMITS = {
  maxPixelFrames: { min: 1_000_000, max: 1e12 },
  maxOutputBytes: { min: 64 * 1024, max: 4 * 1024 ** 3 },
} as const;

/**
 * Output bytes per pixel-frame, a rough upper estimate for camera footage and screen recordings with the
 * worker's settings (RELIABILITY.md, "Cost ceiling"). GIF: photographs and grain make about 0.5
 * (BENCHMARKS.md, 480 px at 10 fps), noise 1.17–1.26 (LZW's hard worst case is 1.5). WebP at quality 75:
 * photographs about 0.05, grain 0.09, the benchmark's noise 0.31, full-colour noise 0.73. Noise, which
 * no one animates on purpose, passes the estimate: the worker's live byte cap stops it.
 */
export const OUTPUT_BYTES_PER_PIXEL_FRAME: Record<DynamicImageFormat, number> = { gif: 1.0, webp: 0.35 };

export interface PlanCost {
  width: number;
  height: number;
  frames: number;
  pixelFrames: number;
  /** The rough upper estimate of the file's size. */
  outputBytes: number;
  /** Pixel-frames held in memory at once by a boomerang's reversal (ffmpeg's `reverse`); 0 without. */
  bufferedPixelFrames: number;
}

/**
 * A boomerang plays the window backwards, and ffmpeg's `reverse` filter holds every frame of the window
 * until the last: 64 Mi pixel-frames is 96 MiB of 4:2:0 frames (256 MiB at 4 bytes a pixel), for
 * example 480×270 for 500 frames, or 1080p for 32. Past it the plan is refused (BUDGET_EXCEEDED).
 */
export const MAX_BUFFERED_PIXEL_FRAMES = 64 * 1024 * 1024;

export function planCost(
  format: DynamicImageFormat,
  width: number,
  height: number,
  frames: number,
  /** Frames a boomerang reverses (held at once); 0 without one. */
  reversedFrames = 0,
): PlanCost {
  const pixelFrames = width * height * frames;
  return {
    width,
    height,
    frames,
    pixelFrames,
    outputBytes: Math.ceil(pixelFrames * OUTPUT_BYTES_PER_PIXEL_FRAME[format]),
    bufferedPixelFrames: width * height * reversedFrames,
  };
}

/**
 * What a template alone tells before its source is probed: the frames of a byDuration window
 * (an upper bound: the source may end sooner) at the declared size. Null when either is unknown
 * (trimBeginEnd depends on the source's length; a missing side on its aspect ratio).
 */
export function submitCost(template: Template): PlanCost | null {
  if (template.captureMethod !== 'byDuration' || template.duration === undefined) return null;
  if (template.width === undefined || template.height === undefined) return null;
  // An automatic start moves the window, never changes its length.
  const start = template.start === 'auto' ? 0 : template.start;
  const window = {
    start,
    end: start + template.duration,
    duration: template.duration,
  };
  const timing = resolveFrameTiming(template.format, template.fps, window, template);
  // longSide may turn the box, never change its area.
  return planCost(
    template.format,
    template.width,
    template.height,
    timing.frameCount,
    timing.boomerang ? timing.sampledFrames : 0,
  );
}

const grouped = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** Throws BUDGET_EXCEEDED naming the figure and the limit; the details carry both as numbers. */
export function checkBudget(cost: PlanCost, budget: PlanBudget): void {
  const size = `${cost.width}×${cost.height} × ${grouped(cost.frames)} frames`;
  if (cost.pixelFrames > budget.maxPixelFrames) {
    throw new DynamicImageError(
      'BUDGET_EXCEEDED',
      `The dynamic image would take ${grouped(cost.pixelFrames)} pixel-frames (${size}), over the limit of ${grouped(budget.maxPixelFrames)} (maxPixelFrames): lower the size, fps or duration`,
      { limit: 'maxPixelFrames', figure: cost.pixelFrames, max: budget.maxPixelFrames, ...cost },
    );
  }
  if (cost.outputBytes > budget.maxOutputBytes) {
    throw new DynamicImageError(
      'BUDGET_EXCEEDED',
      `The dynamic image could reach ${mib(cost.outputBytes)} (${grouped(cost.outputBytes)} bytes estimated for ${size}), over the limit of ${mib(budget.maxOutputBytes)} (maxOutputBytes): lower the size, fps or duration`,
      { limit: 'maxOutputBytes', figure: cost.outputBytes, max: budget.maxOutputBytes, ...cost },
    );
  }
  if (cost.bufferedPixelFrames > MAX_BUFFERED_PIXEL_FRAMES) {
    throw new DynamicImageError(
      'BUDGET_EXCEEDED',
      `A boomerang holds the whole window to play it backwards: ${grouped(cost.bufferedPixelFrames)} pixel-frames (${size}), over the limit of ${grouped(MAX_BUFFERED_PIXEL_FRAMES)} (boomerang): lower the size, fps or duration`,
      {
        limit: 'boomerang',
        figure: cost.bufferedPixelFrames,
        max: MAX_BUFFERED_PIXEL_FRAMES,
        ...cost,
      },
    );
  }
}
