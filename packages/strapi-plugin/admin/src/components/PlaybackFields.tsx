// The template form's playback and orientation fields (core's loopCount, speed, boomerang, sizeMode). Their
// defaults are what a template without them makes, so the form sends a field only when it differs.
import { SIZE_MODES, type SizeMode, TEMPLATE_LIMITS } from '@dynamic-image/core';
import { Field, Grid, NumberInput, SingleSelect, SingleSelectOption, Toggle } from '@strapi/design-system';
import type * as React from 'react';
import { useT } from '../utils/t';

export interface PlaybackValues {
  loopCount: number | undefined;
  speed: number | undefined;
  boomerang: boolean;
  sizeMode: SizeMode;
}

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

export function PlaybackFields({
  values,
  set,
  errorFor,
  disabled,
}: {
  values: PlaybackValues;
  set: <K extends keyof PlaybackValues>(key: K, value: PlaybackValues[K]) => void;
  errorFor: (field: string) => string | undefined;
  disabled: boolean;
}) {
  const t = useT();
  const modes: Record<SizeMode, string> = {
    widthHeight: t('field.sizeMode.widthHeight', 'Width and height as set'),
    longSide: t('field.sizeMode.longSide', 'Width is the long side (portrait videos stay portrait)'),
  };
  return (
    <>
      <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
        <Field.Root
          name="loopCount"
          error={errorFor('loopCount')}
          hint={t('field.loopCount.hint', 'How many times it plays; 0 plays forever')}
        >
          <Field.Label>{t('field.loopCount', 'Plays')}</Field.Label>
          <NumberInput
            value={values.loopCount}
            onValueChange={(v: number | undefined) => set('loopCount', v)}
            disabled={disabled}
          />
          <Field.Error />
          <Field.Hint />
        </Field.Root>
      </Grid.Item>
      <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
        <Field.Root
          name="speed"
          error={errorFor('speed')}
          hint={t(
            'field.speed.hint',
            'Playback speed, {min} to {max}: 2 plays twice as fast, with the same frames',
            { min: TEMPLATE_LIMITS.speedMin, max: TEMPLATE_LIMITS.speedMax },
          )}
        >
          <Field.Label>{t('field.speed', 'Speed')}</Field.Label>
          <NumberInput
            value={values.speed}
            step={0.25}
            onValueChange={(v: number | undefined) => set('speed', v)}
            disabled={disabled}
          />
          <Field.Error />
          <Field.Hint />
        </Field.Root>
      </Grid.Item>
      <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
        <Field.Root
          name="boomerang"
          error={errorFor('boomerang')}
          hint={t('field.boomerang.hint', 'Plays forward, then backward')}
        >
          <Field.Label>{t('field.boomerang', 'Boomerang')}</Field.Label>
          <Toggle
            checked={values.boomerang}
            onLabel={t('common.yes', 'Yes')}
            offLabel={t('common.no', 'No')}
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('boomerang', e.target.checked)}
            disabled={disabled}
          />
          <Field.Error />
          <Field.Hint />
        </Field.Root>
      </Grid.Item>
      <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
        <Field.Root name="sizeMode" error={errorFor('sizeMode')}>
          <Field.Label>{t('field.sizeMode', 'Orientation')}</Field.Label>
          <SingleSelect
            value={values.sizeMode}
            onChange={(v: string | number) => set('sizeMode', v as SizeMode)}
            disabled={disabled}
          >
            {SIZE_MODES.map((mode) => (
              <SingleSelectOption key={mode} value={mode}>
                {modes[mode]}
              </SingleSelectOption>
            ))}
          </SingleSelect>
          <Field.Error />
        </Field.Root>
      </Grid.Item>
    </>
  );
}
