// The encoder a job really runs with, and what the worker reports of it. The plan (core's profile table)
// names the backend; when the libvips backend can't load here (sharp has no prebuilt binary for this
// platform), the job falls back to the ffmpeg graph and the report says so.
import {
  applyEncoderControls,
  chooseEncoder,
  DEFAULT_ENCODER_PROFILE,
  type DynamicImagePlan,
  type EncoderControls,
  type EncoderReport,
  type Template,
} from '@dynamic-image/core';
import type { EncodeSettings } from './encode.js';
import { loadSharp } from './gif-libvips.js';
import { describeOptimize, type OptimizeOutcome } from './gif-optimize.js';

export type EncodePlan = DynamicImagePlan & {
  /** Why the planned backend was not used, when it wasn't. */
  fallback?: string;
};

export async function withAvailableBackend(
  plan: DynamicImagePlan,
  /** The template's encoder controls, which the fallback graph keeps (colours, dither). */
  controls: EncoderControls = {},
): Promise<EncodePlan> {
  if (plan.encoder.backend !== 'libvips') return plan;
  try {
    await loadSharp();
    return plan;
  } catch (err) {
    return {
      ...plan,
      encoder: applyEncoderControls(chooseEncoder(plan.format, undefined, 1), controls),
      fallback: `libvips unavailable: ${(err as Error).message.split('\n')[0]?.slice(0, 120)}`,
    };
  }
}

export function encoderReport(
  plan: EncodePlan,
  template: Template,
  settings: EncodeSettings,
  optimized?: OptimizeOutcome,
): EncoderReport {
  const profile = template.profile ?? (template.version >= 2 ? DEFAULT_ENCODER_PROFILE : undefined);
  const report: EncoderReport = {
    backend: plan.encoder.backend,
    settings: { ...plan.encoder.settings },
  };
  if (profile) report.profile = profile;
  if (plan.encoder.backend === 'ffmpeg') {
    // The worker's own overrides (tests, experiments) are what ran.
    const overrides = {
      graphDither: 'dither',
      graphStatsMode: 'statsMode',
      libwebpQuality: 'quality',
      libwebpCompressionLevel: 'compressionLevel',
    } as const;
    for (const [from, to] of Object.entries(overrides)) {
      const value = settings[from as keyof typeof overrides];
      if (value !== undefined && to in report.settings) report.settings[to] = value;
    }
  }
  if (plan.encoder.backend === 'libvips') {
    report.settings.chunkBytes = settings.chunks.chunkBytes;
    report.settings.parallel = settings.chunks.parallel;
  }
  if (optimized) report.settings.optimizer = describeOptimize(optimized);
  if (plan.fallback) report.settings.fallback = plan.fallback;
  return report;
}
