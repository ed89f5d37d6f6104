import { TEMPLATE_LIMITS } from '@dynamic-image/core';
import { jsonColumn } from './data/json';

/** No result is taken above this, whatever the template (the old in-memory cap, now on disk). */
export const MAX_RESULT_BYTES = 256 * 1024 * 1024;
const HEADROOM_BYTES = 1024 * 1024;

/**
 * The most bytes a job's result can honestly take: every frame stored raw at 4 bytes a pixel (more
 * than a GIF or WebP encoder ever writes) plus a MiB of headers and palettes; a boomerang has its frames
 * twice (a speed changes the delays, not the frames). A side the template
 * leaves to the source counts as the largest side allowed; a window of unknown length counts as
 * MAX_RESULT_BYTES.
 */
export function resultByteLimit(template: unknown): number {
  const t = jsonColumn<Record<string, unknown> | null>(template);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
  const side = (v: unknown) => Math.min(num(v) ?? TEMPLATE_LIMITS.sizeMax, TEMPLATE_LIMITS.sizeMax);
  const fps = Math.min(num(t?.fps) ?? TEMPLATE_LIMITS.fpsMax, TEMPLATE_LIMITS.fpsMax);
  const seconds = t?.captureMethod === 'byDuration' ? num(t.duration) : null;
  if (seconds === null) return MAX_RESULT_BYTES;
  const frames = (Math.ceil(seconds * fps) + 1) * (t?.boomerang === true ? 2 : 1);
  return Math.min(side(t?.width) * side(t?.height) * frames * 4 + HEADROOM_BYTES, MAX_RESULT_BYTES);
}
