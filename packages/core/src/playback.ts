// How a template's playback fields are written into each container, and read back. `loopCount` counts
// plays in all (0 = forever), as people mean it; the containers count differently:
// - GIF's NETSCAPE2.0 loop field counts the repeats after the first play in browsers, so N plays is
//   the field N − 1, and one play is no NETSCAPE block at all (ffmpeg's gif muxer: `-loop -1`);
// - WebP's ANIM loop count is the number of plays (libwebp's demux and Chrome), 0 = forever.
import type { DynamicImageFormat } from './template.js';

/** What the container holds for `plays` (0 = forever): null means no loop block (GIF, one play). */
export function containerLoopCount(format: DynamicImageFormat, plays: number): number | null {
  if (format === 'webp' || plays === 0) return plays;
  return plays === 1 ? null : plays - 1;
}

/** The plays a container's loop field means (0 = forever): the inverse of containerLoopCount. */
export function playsFromContainer(format: DynamicImageFormat, loopField: number | null): number {
  if (format === 'webp') return loopField ?? 1;
  if (loopField === null) return 1;
  return loopField === 0 ? 0 : loopField + 1;
}

/** Frames of a boomerang over `forward` frames: forward, then back without repeating either end. */
export function boomerangFrames(forward: number): number {
  return forward <= 2 ? forward : 2 * forward - 2;
}
