// Fine encoder controls (issue 16): a template's WebP quality and losslessness, GIF colours and dither
// strength, each overriding its profile's value (encoder.ts) when given. Core decides the settings; the
// worker only carries them out. How strength maps to each backend is measured in docs/encoder-profiles.md.
import { z } from 'zod';
import {
  chooseEncoder,
  type EncoderChoice,
  type EncoderProfile,
  type FfmpegGifSettings,
  type FfmpegWebpSettings,
  type LibvipsGifSettings,
} from './encoder.js';

export const ENCODER_CONTROL_LIMITS = {
  webpQualityMin: 1,
  webpQualityMax: 100,
  gifColorsMin: 4,
  gifColorsMax: 256,
  gifDitherMin: 0,
  gifDitherMax: 1,
} as const;
const L = ENCODER_CONTROL_LIMITS;

/** The template fields; each optional, absent meaning the profile's value. */
export const encoderControlFields = {
  /** libwebp's lossy quality (absent: the profile's). */
  webpQuality: z.number().int().min(L.webpQualityMin).max(L.webpQualityMax).optional(),
  /** Lossless WebP: frames kept exactly as sampled and scaled (absent: false). */
  webpLossless: z.boolean().optional(),
  /** Colours in the palette (per frame with libvips), 4–256 (absent: 256); ffmpeg 5.1 makes no smaller palette. */
  gifColors: z.number().int().min(L.gifColorsMin).max(L.gifColorsMax).optional(),
  /** Dither strength, 0 (none) to 1 (the most), in hundredths (absent: the profile's). */
  gifDither: z.number().min(L.gifDitherMin).max(L.gifDitherMax).multipleOf(0.01).optional(),
};

export interface EncoderControls {
  format?: 'gif' | 'webp' | undefined;
  webpQuality?: number | undefined;
  webpLossless?: boolean | undefined;
  gifColors?: number | undefined;
  gifDither?: number | undefined;
}

export const ENCODER_CONTROLS = ['webpQuality', 'webpLossless', 'gifColors', 'gifDither'] as const;
export type EncoderControl = (typeof ENCODER_CONTROLS)[number];
/** The format each control belongs to: on a template of the other format it is refused, not ignored. */
export const ENCODER_CONTROL_FORMAT: Record<EncoderControl, 'gif' | 'webp'> = {
  webpQuality: 'webp',
  webpLossless: 'webp',
  gifColors: 'gif',
  gifDither: 'gif',
};

/**
 * The template's rules across fields: a control of the other format, and a quality on a lossless WebP
 * (libwebp reads quality as effort there), are refused with a message naming the reason.
 */
export function checkEncoderControls(value: EncoderControls, ctx: z.RefinementCtx, prefix: string): void {
  if (value === null || typeof value !== 'object') return;
  const format = value.format;
  if (format === 'gif' || format === 'webp') {
    for (const field of ENCODER_CONTROLS) {
      const own = ENCODER_CONTROL_FORMAT[field];
      if (value[field] === undefined || own === format) continue;
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `${prefix}${field} applies to ${own} templates only, and format is ${format}`,
        params: { rule: 'notAllowed', messageId: 'formatOnly', params: { format, fieldFormat: own } },
        input: value[field],
      });
    }
  }
  if (value.webpLossless === true && value.webpQuality !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['webpQuality'],
      message: `${prefix}webpQuality is not allowed with webpLossless (a lossless WebP has no quality)`,
      params: { rule: 'notAllowed', messageId: 'losslessQuality' },
      input: value.webpQuality,
    });
  }
}

const onlyWhen = (condition: Record<string, unknown>, then: Record<string, unknown>) => ({
  if: condition,
  then,
});

/** checkEncoderControls' rules in JSON Schema: each format refuses the other's controls; lossless has no quality. */
export const encoderControlsJsonSchema = [
  ...(['gif', 'webp'] as const).map((format) =>
    onlyWhen(
      { properties: { format: { const: format } }, required: ['format'] },
      {
        not: {
          anyOf: ENCODER_CONTROLS.filter((key) => ENCODER_CONTROL_FORMAT[key] !== format).map((key) => ({
            required: [key],
          })),
        },
      },
    ),
  ),
  onlyWhen(
    { properties: { webpLossless: { const: true } }, required: ['webpLossless'] },
    { not: { required: ['webpQuality'] } },
  ),
];

/**
 * ffmpeg's paletteuse for a strength: 0 is `none`; above, the ordered (Bayer) dither whose pattern grows
 * as its scale falls, from 5 (the faintest, the profiles' own) to 2 at 1 (ffmpeg's default scale).
 * Scales 1 and 0 are left out: on a gradient their pattern takes luma SSIM to 0.73 and 0.53. Measured
 * monotonic in the pattern's strength (docs/encoder-profiles.md), not in bytes.
 */
export function ffmpegDither(strength: number): string {
  if (strength <= 0) return 'none';
  return `bayer:bayer_scale=${5 - Math.round(3 * Math.min(strength, 1))}`;
}

function controlGif(choice: EncoderChoice, c: EncoderControls): EncoderChoice {
  if (choice.format !== 'gif') return choice;
  if (choice.backend === 'ffmpeg') {
    const settings: FfmpegGifSettings = { ...choice.settings };
    if (c.gifColors !== undefined) settings.colors = c.gifColors;
    if (c.gifDither !== undefined) settings.dither = ffmpegDither(c.gifDither);
    return { ...choice, settings };
  }
  const settings: LibvipsGifSettings = { ...choice.settings };
  if (c.gifColors !== undefined) settings.colors = c.gifColors;
  if (c.gifDither !== undefined) settings.dither = c.gifDither;
  return { ...choice, settings };
}

function controlWebp(choice: EncoderChoice, c: EncoderControls): EncoderChoice {
  if (choice.format !== 'webp') return choice;
  const settings: FfmpegWebpSettings = { ...choice.settings };
  if (c.webpQuality !== undefined) settings.quality = c.webpQuality;
  if (c.webpLossless === true) {
    settings.lossless = true;
    delete settings.quality;
  }
  return { ...choice, settings };
}

/** A choice with a template's controls applied: each control given replaces its profile's value. */
export function applyEncoderControls(choice: EncoderChoice, controls: EncoderControls): EncoderChoice {
  return controlWebp(controlGif(choice, controls), controls);
}

/** The backend and settings a template is encoded with: its profile's, then its own controls. */
export function resolveEncoderSettings(
  template: EncoderControls & {
    format: EncoderChoice['format'];
    profile?: EncoderProfile | undefined;
    version?: number | undefined;
  },
): EncoderChoice {
  return applyEncoderControls(chooseEncoder(template.format, template.profile, template.version), template);
}
