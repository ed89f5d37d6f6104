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
 * Output size from the displayed size. One side given: the other follows the aspect ratio.
 * No side exceeds 4096. WebP sizes are even: lossy WebP stores 4:2:0 chroma, and odd edges smear.
 */
export function resolveOutputGeometry(
  template: Pick<Template, 'format' | 'width' | 'height'>,
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

  let width: number;
  let height: number;
  if (template.width !== undefined && template.height !== undefined) {
    width = template.width;
    height = template.height;
  } else if (template.width !== undefined) {
    width = template.width;
    height = template.width / aspect;
  } else if (template.height !== undefined) {
    height = template.height;
    width = template.height * aspect;
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
