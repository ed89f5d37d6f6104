import { DynamicImageError } from './errors.js';
import type { Rotation, SourceProbe } from './probe.js';
import { TEMPLATE_LIMITS, type Template } from './template.js';

export interface OutputGeometry {
  width: number;
  height: number;
  /** The source's displayed size: rotation and sample aspect ratio applied. */
  displayWidth: number;
  displayHeight: number;
  rotation: Rotation;
  sampleAspectRatio: number;
}

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

/**
 * Output size from the displayed size. One side given: the other follows the aspect ratio. With
 * `sizeMode: 'longSide'`, width is the long side and height the short one: a portrait source turns the box.
 * No side exceeds 4096. WebP sizes are even: lossy WebP stores 4:2:0 chroma, and odd edges smear.
 */
export function resolveOutputGeometry(
  template: Pick<Template, 'format' | 'width' | 'height' | 'sizeMode'>,
  probe: SourceProbe,
): OutputGeometry {
  const video = probe.video;
  if (!video) throw new DynamicImageError('AUDIO_ONLY');
  const sar =
    video.sampleAspectRatio > 0 && Number.isFinite(video.sampleAspectRatio) ? video.sampleAspectRatio : 1;
  const scaledWidth = Math.max(1, Math.round(video.width * sar));
  const quarterTurn = video.rotation === 90 || video.rotation === 270;
  const displayWidth = quarterTurn ? video.height : scaledWidth;
  const displayHeight = quarterTurn ? scaledWidth : video.height;
  const aspect = displayWidth / displayHeight;

  const portrait = template.sizeMode === 'longSide' && displayHeight > displayWidth;
  const asked = portrait
    ? { width: template.height, height: template.width }
    : { width: template.width, height: template.height };
  let width: number;
  let height: number;
  if (asked.width !== undefined && asked.height !== undefined) {
    width = asked.width;
    height = asked.height;
  } else if (asked.width !== undefined) {
    width = asked.width;
    height = asked.width / aspect;
  } else if (asked.height !== undefined) {
    height = asked.height;
    width = asked.height * aspect;
  } else {
    width = displayWidth;
    height = displayHeight;
  }
  const longest = Math.max(width, height);
  if (longest > TEMPLATE_LIMITS.sizeMax) {
    const factor = TEMPLATE_LIMITS.sizeMax / longest;
    width *= factor;
    height *= factor;
  }
  // Rounded once, from the exact value: to the nearest even size for WebP, to the nearest integer otherwise.
  const toSize = (n: number) =>
    Math.min(TEMPLATE_LIMITS.sizeMax, template.format === 'webp' ? even(n) : Math.max(1, Math.round(n)));
  width = toSize(width);
  height = toSize(height);
  return { width, height, displayWidth, displayHeight, rotation: video.rotation, sampleAspectRatio: sar };
}
