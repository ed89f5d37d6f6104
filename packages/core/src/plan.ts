import { DynamicImageError } from './errors.js';
import { type OutputGeometry, resolveOutputGeometry } from './geometry.js';
import type { SourceProbe } from './probe.js';
import type { DynamicImageFormat, Template } from './template.js';
import { type FrameTiming, resolveFrameTiming } from './timing.js';
import { type CaptureWindow, resolveCaptureWindow } from './window.js';

export interface DynamicImagePlan {
  format: DynamicImageFormat;
  window: CaptureWindow;
  geometry: OutputGeometry;
  timing: FrameTiming;
}

/** Everything the encoder needs, decided before ffmpeg starts. */
export function planDynamicImage(template: Template, probe: SourceProbe): DynamicImagePlan {
  if (!probe.video) throw new DynamicImageError('AUDIO_ONLY');
  const window = resolveCaptureWindow(template, probe);
  const geometry = resolveOutputGeometry(template, probe);
  const timing = resolveFrameTiming(template.format, template.fps, window);
  return { format: template.format, window, geometry, timing };
}
