// The template form's advanced encoder settings (core's webpQuality, webpLossless, gifColors, gifDither):
// each left empty keeps the profile's value, and only the current format's fields are shown and sent
// (core refuses the other format's).
import { ENCODER_CONTROL_FORMAT, ENCODER_CONTROL_LIMITS, ENCODER_CONTROLS } from '@dynamic-image/core';
import { Field, Grid, NumberInput, Toggle, Typography } from '@strapi/design-system';
import type * as React from 'react';
import { useT } from '../utils/t';

export interface EncoderControlValues {
  webpQuality: number | undefined;
  webpLossless: boolean;
  gifColors: number | undefined;
  gifDither: number | undefined;
}

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

export function EncoderControlFields({
  format,
  values,
  set,
  errorFor,
  disabled,
}: {
  format: 'gif' | 'webp';
  values: EncoderControlValues;
  set: <K extends keyof EncoderControlValues>(key: K, value: EncoderControlValues[K]) => void;
  errorFor: (field: string) => string | undefined;
  disabled: boolean;
}) {
  const t = useT();
  const L = ENCODER_CONTROL_LIMITS;
  const number = (
    field: 'webpQuality' | 'gifColors' | 'gifDither',
    label: string,
    hint: string,
    step: number,
    off = false,
  ) => (
    <Grid.Item key={field} col={4} s={12} direction="column" alignItems="stretch">
      <Field.Root name={field} error={errorFor(field)} hint={hint}>
        <Field.Label>{label}</Field.Label>
        <NumberInput
          value={values[field]}
          step={step}
          onValueChange={(v: number | undefined) => set(field, v)}
          disabled={disabled || off}
        />
        <Field.Error />
        <Field.Hint />
      </Field.Root>
    </Grid.Item>
  );
  return (
    <>
      <Grid.Item col={12} direction="column" alignItems="stretch">
        <Typography variant="delta" tag="h2">
          {t('encoderControls.title', 'Advanced encoder settings')}
        </Typography>
        <Typography variant="pi" textColor="neutral600">
          {t('encoderControls.hint', 'Empty: the profile’s value.')}
        </Typography>
      </Grid.Item>
      {format === 'gif' && [
        number(
          'gifColors',
          t('field.gifColors', 'Colours'),
          t('field.gifColors.hint', 'Colours in the palette, {min} to {max}', {
            min: L.gifColorsMin,
            max: L.gifColorsMax,
          }),
          1,
        ),
        number(
          'gifDither',
          t('field.gifDither', 'Dither strength'),
          t('field.gifDither.hint', '{min} (none) to {max} (the most)', {
            min: L.gifDitherMin,
            max: L.gifDitherMax,
          }),
          0.05,
        ),
      ]}
      {format === 'webp' && [
        number(
          'webpQuality',
          t('field.webpQuality', 'Quality'),
          t('field.webpQuality.hint', '{min} to {max}; a lossless WebP has none', {
            min: L.webpQualityMin,
            max: L.webpQualityMax,
          }),
          1,
          values.webpLossless,
        ),
        <Grid.Item key="webpLossless" col={4} s={12} direction="column" alignItems="stretch">
          <Field.Root
            name="webpLossless"
            error={errorFor('webpLossless')}
            hint={t('field.webpLossless.hint', 'Every frame kept exactly; many more bytes')}
          >
            <Field.Label>{t('field.webpLossless', 'Lossless')}</Field.Label>
            <Toggle
              checked={values.webpLossless}
              onLabel={t('common.yes', 'Yes')}
              offLabel={t('common.no', 'No')}
              onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('webpLossless', e.target.checked)}
              disabled={disabled}
            />
            <Field.Error />
            <Field.Hint />
          </Field.Root>
        </Grid.Item>,
      ]}
    </>
  );
}
