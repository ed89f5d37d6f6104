// A template's size budget (`maxBytes`) in the worker: the settings of each attempt read from its plan,
// and the plan of the next attempt core chose (core's size-budget.ts decides; this only re-plans).
import {
  type BudgetAttempt,
  type BudgetSettings,
  DynamicImageError,
  type DynamicImageJobData,
  type DynamicImagePlan,
  type PlanBudget,
  planDynamicImage,
  type Template,
} from '@dynamic-image/core';
import { type EncodePlan, withAvailableBackend } from './encoder-choice.js';

/** The first attempt: the template's own settings, as planned. */
export function firstBudgetAttempt(plan: DynamicImagePlan, template: Template): BudgetAttempt {
  const settings: BudgetSettings = {
    format: plan.format,
    fps: template.fps,
    width: plan.geometry.width,
    height: plan.geometry.height,
  };
  const encoder = plan.encoder;
  if (encoder.format === 'webp' && encoder.settings.quality !== undefined && !encoder.settings.lossless) {
    settings.quality = encoder.settings.quality;
  }
  if (encoder.format === 'gif') settings.colors = encoder.settings.colors ?? 256;
  return { settings, lowered: [] };
}

/** The template an attempt is planned from: the job's, with the attempt's fps, exact size and quality. */
export function budgetTemplate(template: Template, attempt: BudgetAttempt): Template {
  const s = attempt.settings;
  const lowered: Template = {
    ...template,
    fps: s.fps,
    width: s.width,
    height: s.height,
    sizeMode: 'widthHeight',
  };
  if (s.format === 'webp' && s.quality !== undefined) lowered.webpQuality = s.quality;
  if (s.format === 'gif' && s.colors !== undefined) lowered.gifColors = s.colors;
  return lowered;
}

/** The plan of a later attempt; an automatic start keeps the window already chosen. */
export async function planBudgetAttempt(
  job: DynamicImageJobData,
  template: Template,
  attempt: BudgetAttempt,
  probe: Parameters<typeof planDynamicImage>[1],
  budget: PlanBudget,
  window: DynamicImagePlan['window'],
): Promise<EncodePlan> {
  const lowered = budgetTemplate(template, attempt);
  const plan = await withAvailableBackend(
    planDynamicImage(lowered, probe, budget, job.maxWindowSeconds),
    lowered,
  );
  return { ...plan, window };
}

/** Nothing fitted: the smallest file made, and the settings that made it. */
export function budgetUnreachable(
  maxBytes: number,
  attempts: number,
  smallest: { bytes: number; attempt: BudgetAttempt },
): DynamicImageError {
  const { format: _, ...settings } = smallest.attempt.settings;
  return new DynamicImageError(
    'BUDGET_UNREACHABLE',
    `No output fits maxBytes ${maxBytes}: the smallest of ${attempts} encodes was ${smallest.bytes} bytes (${Object.entries(
      settings,
    )
      .map(([key, value]) => `${key} ${value}`)
      .join(', ')})`,
    { maxBytes, attempts, bytes: smallest.bytes, settings, lowered: smallest.attempt.lowered },
  );
}
