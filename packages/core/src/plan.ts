import { checkBudget, type PlanBudget, type PlanCost, planCost } from './budget.js';
import type { EncoderChoice } from './encoder.js';
import { resolveEncoderSettings } from './encoder-controls.js';
import { DynamicImageError } from './errors.js';
import { type OutputGeometry, resolveOutputGeometry } from './geometry.js';
import type { SourceProbe } from './probe.js';
import type { DynamicImageFormat, Template } from './template.js';
import { type FrameTiming, resolveFrameTiming } from './timing.js';
import { type CaptureWindow, capWindow, resolveCaptureWindow } from './window.js';

export interface DynamicImagePlan {
  format: DynamicImageFormat;
  window: CaptureWindow;
  geometry: OutputGeometry;
  timing: FrameTiming;
  /** The encoder backend and its settings, from the template's profile and its own encoder controls. */
  encoder: EncoderChoice;
  /** Plays in all, 0 = forever (core's playback.ts writes it per format). */
  loopCount: number;
}

/** Everything the encoder needs, decided before ffmpeg starts; over the budget, when one is given, it is BUDGET_EXCEEDED. */
export function planDynamicImage(
  template: Template,
  probe: SourceProbe,
  budget?: PlanBudget,
  /** A job's `maxWindowSeconds`: the window is cut to this length (previews, whatever their method). */
  maxWindowSeconds?: number,
): DynamicImagePlan {
  if (!probe.video) throw new DynamicImageError('AUDIO_ONLY');
  const window = capWindow(resolveCaptureWindow(template, probe), maxWindowSeconds);
  const geometry = resolveOutputGeometry(template, probe);
  const timing = resolveFrameTiming(template.format, template.fps, window, template);
  const encoder = resolveEncoderSettings(template);
  const loopCount = template.loopCount ?? 0;
  const plan = { format: template.format, window, geometry, timing, encoder, loopCount };
  if (budget) checkBudget(costOfPlan(plan), budget);
  return plan;
}

export const costOfPlan = (plan: DynamicImagePlan): PlanCost =>
  planCost(
    plan.format,
    plan.geometry.width,
    plan.geometry.height,
    plan.timing.frameCount,
    plan.timing.boomerang ? plan.timing.sampledFrames : 0,
  );

/** A job may carry the CMS's budget; a worker applies the lower of it and its own, limit by limit. */
export function effectiveBudget(own: PlanBudget, job?: Partial<PlanBudget>): PlanBudget {
  const lower = (a: number, b: unknown) => (typeof b === 'number' && b > 0 ? Math.min(a, b) : a);
  return {
    maxPixelFrames: lower(own.maxPixelFrames, job?.maxPixelFrames),
    maxOutputBytes: lower(own.maxOutputBytes, job?.maxOutputBytes),
  };
}
