// The one-off dialog's overrides ("Make dynamic image"): the form's values, the overrideParams they make (only
// what differs from the template), and core's own check of them, the one the API runs.
import {
  applyOverrides,
  CAPTURE_METHOD_FIELD,
  type Template as CoreTemplate,
  type EncoderProfile,
  TemplateValidationError,
  type ValidationIssue,
} from '@dynamic-image/core';
import type { Template } from './api';
import { timeInput } from './format';
import {
  ENCODER_CONTROL_FIELDS,
  ENCODER_CONTROL_OVERRIDES_BLANK,
  type EncoderControlOverrides,
  encoderControlOverrides,
  encoderControlValues,
  PLAYBACK_FIELDS,
  PLAYBACK_OVERRIDES_BLANK,
  type PlaybackOverrides,
  playbackOverrides,
  playbackValues,
  type StartOverrides,
  type StartValues,
  startOverride,
} from './template-field-values';

/** The overrides as typed; an empty field keeps the template's value. */
export interface OverrideValues extends PlaybackOverrides, EncoderControlOverrides, StartOverrides {
  format: 'template' | 'gif' | 'webp';
  profile: 'template' | EncoderProfile;
  fps: number | undefined;
  width: number | undefined;
  height: number | undefined;
  /** The template's own window field: duration (byDuration) or trimEnd (trimBeginEnd). */
  time: string;
  /** null: as the template says. */
  cover: boolean | null;
}

export const BLANK_OVERRIDES: OverrideValues = {
  format: 'template',
  profile: 'template',
  fps: undefined,
  width: undefined,
  height: undefined,
  start: '',
  startAuto: null,
  time: '',
  cover: null,
  ...PLAYBACK_OVERRIDES_BLANK,
  ...ENCODER_CONTROL_OVERRIDES_BLANK,
};

/** The fields the dialog shows; core's issues about any other are listed below them. */
export const OVERRIDE_FIELDS: readonly string[] = [
  'format',
  'profile',
  'fps',
  'width',
  'height',
  'start',
  'duration',
  'trimEnd',
  'setAsDefaultThumbnail',
  ...PLAYBACK_FIELDS,
  ...ENCODER_CONTROL_FIELDS,
];

/** The template's start as the start field shows it. */
export function templateStart(template: Template): StartValues {
  return {
    start: String(template.start === 'auto' ? 0 : (template.start ?? 0)),
    startAuto: template.start === 'auto',
  };
}

/** VOD's OverrideParams from the form: only what differs from the template. */
export function overrideParams(template: Template, values: OverrideValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (values.format !== 'template') out.format = values.format;
  if (values.profile !== 'template') out.profile = values.profile;
  for (const key of ['fps', 'width', 'height'] as const)
    if (values[key] !== undefined) out[key] = values[key];
  const start = startOverride(values, templateStart(template));
  if (start !== undefined) out.start = start;
  const time = timeInput(values.time);
  if (time !== undefined) out[CAPTURE_METHOD_FIELD[template.captureMethod]] = time;
  if (values.cover !== null && values.cover !== template.setAsDefaultThumbnail)
    out.setAsDefaultThumbnail = values.cover;
  const format = values.format === 'template' ? template.format : values.format;
  return {
    ...out,
    ...playbackOverrides(values, playbackValues(template)),
    ...encoderControlOverrides(values, format, encoderControlValues(template)),
  };
}

/** The stored template as core reads it: without its id, dates and cleared fields. */
function coreTemplate(stored: Template & { createdAt?: string }): CoreTemplate {
  const { templateId: _id, createdAt: _c, updatedAt: _u, ...fields } = stored;
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v != null)) as unknown as CoreTemplate;
}

/** Core's own check of the overrides, the one the API runs: no issues when they apply. */
export function checkOverrides(
  template: Template | undefined,
  overrides: Record<string, unknown>,
): ValidationIssue[] {
  if (!template) return [];
  try {
    applyOverrides(coreTemplate(template), overrides);
    return [];
  } catch (err) {
    if (err instanceof TemplateValidationError) return err.issues;
    throw err;
  }
}
