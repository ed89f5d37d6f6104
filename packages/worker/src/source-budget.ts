// A source is refused at probe, before any decoder allocates for it, when its declared picture or
// frame count is beyond what the worker agreed to decode. Its own rule with its own limits: the
// plan's budget (core) is about the output; this one is about what a crafted header may promise.
import { DynamicImageError, type SourceProbe } from '@dynamic-image/core';

export interface SourceBudget {
  maxWidth: number;
  maxHeight: number;
  maxPixels: number;
  /** Frames the source declares (its frame count, or duration × frame rate when it has none). */
  maxFrames: number;
}

/**
 * ffmpeg accepts pictures up to about 16k a side; more than 8K video (8192² pixels) is refused.
 * Two million frames is over 9 hours at 60 fps.
 */
export const DEFAULT_SOURCE_BUDGET: SourceBudget = {
  maxWidth: 16_384,
  maxHeight: 16_384,
  maxPixels: 8_192 * 8_192,
  maxFrames: 2_000_000,
};

/** The frames a probed source declares: its own count, else duration × frame rate. */
export function declaredFrames(probe: SourceProbe): number | null {
  const video = probe.video;
  if (video?.frameCount) return video.frameCount;
  if (video?.frameRate) return Math.ceil(probe.duration * video.frameRate);
  return null;
}

/** The picture's part, checked as soon as the stream is found (before its duration is looked at). */
export function checkPictureBudget(
  width: number,
  height: number,
  budget: SourceBudget = DEFAULT_SOURCE_BUDGET,
): void {
  const over: Array<[string, number, number]> = [];
  if (width > budget.maxWidth) over.push(['width', width, budget.maxWidth]);
  if (height > budget.maxHeight) over.push(['height', height, budget.maxHeight]);
  if (width * height > budget.maxPixels) over.push(['pixels', width * height, budget.maxPixels]);
  refuse(over);
}

export function checkSourceBudget(probe: SourceProbe, budget: SourceBudget = DEFAULT_SOURCE_BUDGET): void {
  if (!probe.video) return;
  checkPictureBudget(probe.video.width, probe.video.height, budget);
  const frames = declaredFrames(probe);
  if (frames !== null && frames > budget.maxFrames) refuse([['frames', frames, budget.maxFrames]]);
}

function refuse(over: Array<[string, number, number]>): void {
  if (over.length === 0) return;
  throw new DynamicImageError(
    'UNSUPPORTED_SOURCE',
    `The source is too large for this worker: ${over.map(([what, value, limit]) => `${what} ${value} over ${limit}`).join(', ')}`,
    {
      rule: 'source-budget',
      over: Object.fromEntries(over.map(([what, value, limit]) => [what, { value, limit }])),
    },
  );
}
