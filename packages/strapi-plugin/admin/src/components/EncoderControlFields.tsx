// The advanced encoder settings (core's webpQuality, webpLossless, gifColors, gifDither) of the template form
// and of the one-off's overrides: each left empty keeps the profile's value (the template's, in overrides),
// and only the current format's fields are shown (core refuses the other format's). Their values are in
// utils/template-field-values.ts.
import { ENCODER_CONTROL_LIMITS } from '@dynamic-image/core';
import { Field, Grid, NumberInput, Toggle, Typography } from '@strapi/design-system';
import type * as React from 'react';
import { useT } from '../utils/t';
import type { EncoderControlOverrides, EncoderControlValues } from '../utils/template-field-values';

/** The template form's fields, or with `inherited` (the template's values) an override form's. */
export function EncoderControlFields({
  format,
  values,
  set,
  errorFor,
  disabled,
  inherited,
}: {
  format: 'gif' | 'webp';
  values: EncoderControlOverrides;
  set: <K extends keyof EncoderControlOverrides>(key: K, value: EncoderControlOverrides[K]) => void;
  errorFor: (field: string) => string | undefined;
  disabled: boolean;
  inherited?: EncoderControlValues | undefined;
}) {
  const t = useT();
  const L = ENCODER_CONTROL_LIMITS;
  const lossless = values.webpLossless ?? inherited?.webpLossless === true;
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
          placeholder={inherited?.[field] === undefined ? undefined : String(inherited[field])}
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
          {inherited
            ? t('encoderControls.hint.override', 'Empty: the template’s value, or else the profile’s.')
            : t('encoderControls.hint', 'Empty: the profile’s value.')}
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
          lossless,
        ),
        <Grid.Item key="webpLossless" col={4} s={12} direction="column" alignItems="stretch">
          <Field.Root
            name="webpLossless"
            error={errorFor('webpLossless')}
            hint={t('field.webpLossless.hint', 'Every frame kept exactly; many more bytes')}
          >
            <Field.Label>{t('field.webpLossless', 'Lossless')}</Field.Label>
            <Toggle
              checked={lossless}
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
