// The values of the template form's playback, encoder-control and start fields, and of the one-off's
// overrides of them: what each form holds, and the template input or overrideParams it makes. Pure; the
// components that show them are PlaybackFields.tsx, EncoderControlFields.tsx and StartField.tsx.
import { ENCODER_CONTROL_FORMAT, ENCODER_CONTROLS, type SizeMode } from '@dynamic-image/core';
import { timeInput } from './format';

// Playback and orientation (core's loopCount, speed, boomerang, sizeMode). Their defaults are what a template
// without them makes, so the template form sends a field only when it differs.

export interface PlaybackValues {
  loopCount: number | undefined;
  speed: number | undefined;
  boomerang: boolean;
  sizeMode: SizeMode;
}

/** An override form's values: empty, null or `template` keeps the template's value. */
export interface PlaybackOverrides {
  loopCount: number | undefined;
  speed: number | undefined;
  boomerang: boolean | null;
  sizeMode: SizeMode | 'template';
}

export const PLAYBACK_OVERRIDES_BLANK: PlaybackOverrides = {
  loopCount: undefined,
  speed: undefined,
  boomerang: null,
  sizeMode: 'template',
};

export const PLAYBACK_DEFAULTS: PlaybackValues = {
  loopCount: 0,
  speed: 1,
  boomerang: false,
  sizeMode: 'widthHeight',
};

export const PLAYBACK_FIELDS = Object.keys(PLAYBACK_DEFAULTS) as Array<keyof PlaybackValues>;

/** The fields that differ from their defaults, as core validates them (an emptied number is the default). */
export function playbackInput(values: PlaybackValues): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const field of PLAYBACK_FIELDS) {
    const value = values[field];
    if (value !== undefined && value !== PLAYBACK_DEFAULTS[field]) input[field] = value;
  }
  return input;
}

export function playbackValues(template: Partial<Record<keyof PlaybackValues, unknown>>): PlaybackValues {
  return {
    loopCount: (template.loopCount as number | null | undefined) ?? PLAYBACK_DEFAULTS.loopCount,
    speed: (template.speed as number | null | undefined) ?? PLAYBACK_DEFAULTS.speed,
    boomerang: template.boomerang === true,
    sizeMode: (template.sizeMode as SizeMode | null | undefined) ?? PLAYBACK_DEFAULTS.sizeMode,
  };
}

/** The overrides that differ from the template's values (`inherited`), as core's overrideParams. */
export function playbackOverrides(
  values: PlaybackOverrides,
  inherited: PlaybackValues,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const field of PLAYBACK_FIELDS) {
    const value = values[field];
    if (value === undefined || value === null || value === 'template') continue;
    if (value !== inherited[field]) input[field] = value;
  }
  return input;
}

// Encoder controls (core's webpQuality, webpLossless, gifColors, gifDither): each left empty keeps the
// profile's value, and only the current format's are sent (core refuses the other format's).

export interface EncoderControlValues {
  webpQuality: number | undefined;
  webpLossless: boolean;
  gifColors: number | undefined;
  gifDither: number | undefined;
}

/** An override form's values: empty or null keeps the template's value. */
export type EncoderControlOverrides = Omit<EncoderControlValues, 'webpLossless'> & {
  webpLossless: boolean | null;
};

export const ENCODER_CONTROL_OVERRIDES_BLANK: EncoderControlOverrides = {
  webpQuality: undefined,
  webpLossless: null,
  gifColors: undefined,
  gifDither: undefined,
};

export const ENCODER_CONTROL_DEFAULTS: EncoderControlValues = {
  webpQuality: undefined,
  webpLossless: false,
  gifColors: undefined,
  gifDither: undefined,
};

export const ENCODER_CONTROL_FIELDS = ENCODER_CONTROLS;

/** The current format's fields that are set; a lossless WebP sends no quality (it has none). */
export function encoderControlInput(
  values: EncoderControlValues,
  format: 'gif' | 'webp',
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const field of ENCODER_CONTROLS) {
    if (ENCODER_CONTROL_FORMAT[field] !== format) continue;
    const value = values[field];
    if (value === undefined || value === false) continue;
    if (field === 'webpQuality' && values.webpLossless) continue;
    input[field] = value;
  }
  return input;
}

/** The overrides of the output's format that differ from the template's values (`inherited`). */
export function encoderControlOverrides(
  values: EncoderControlOverrides,
  format: 'gif' | 'webp',
  inherited: EncoderControlValues,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const field of ENCODER_CONTROLS) {
    const value = values[field];
    if (ENCODER_CONTROL_FORMAT[field] !== format || value === undefined || value === null) continue;
    if (value !== inherited[field]) input[field] = value;
  }
  return input;
}

export function encoderControlValues(
  template: Partial<Record<keyof EncoderControlValues, unknown>>,
): EncoderControlValues {
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  return {
    webpQuality: number(template.webpQuality),
    webpLossless: template.webpLossless === true,
    gifColors: number(template.gifColors),
    gifDither: number(template.gifDither),
  };
}

// Start: a time, or "auto".

export interface StartValues {
  start: string;
  /** `start: "auto"`: the worker chooses the most active window (byDuration only). */
  startAuto: boolean;
}

/** An override form's values: an empty start and a null startAuto keep the template's. */
export interface StartOverrides {
  start: string;
  startAuto: boolean | null;
}

/** The override of start: "auto", a time typed, or time 0 when the template's automatic start is turned off. */
export function startOverride(values: StartOverrides, inherited: StartValues): number | string | undefined {
  const auto = values.startAuto ?? inherited.startAuto;
  if (auto) return inherited.startAuto ? undefined : 'auto';
  return timeInput(values.start) ?? (inherited.startAuto ? 0 : undefined);
}
