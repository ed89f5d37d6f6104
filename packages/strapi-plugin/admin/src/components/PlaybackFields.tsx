// The playback and orientation fields (core's loopCount, speed, boomerang, sizeMode), of the template form and
// of the one-off's overrides; their values are in utils/template-field-values.ts.
import { SIZE_MODES, type SizeMode, TEMPLATE_LIMITS } from '@dynamic-image/core';
import { Field, Grid, NumberInput, SingleSelect, SingleSelectOption, Toggle } from '@strapi/design-system';
import type * as React from 'react';
import { useT } from '../utils/t';
import type { PlaybackOverrides, PlaybackValues } from '../utils/template-field-values';

/**
 * The template form's fields, or with `inherited` (the template's values) an override form's: a number
 * left empty shows the template's, and the orientation offers "as the template".
 */
export function PlaybackFields({
  values,
  set,
  errorFor,
  disabled,
  inherited,
}: {
  values: PlaybackOverrides;
  set: <K extends keyof PlaybackOverrides>(key: K, value: PlaybackOverrides[K]) => void;
  errorFor: (field: string) => string | undefined;
  disabled: boolean;
  inherited?: PlaybackValues | undefined;
}) {
  const t = useT();
  const modes: Record<SizeMode, string> = {
    widthHeight: t('field.sizeMode.widthHeight', 'Width and height as set'),
    longSide: t('field.sizeMode.longSide', 'Width is the long side (portrait videos stay portrait)'),
  };
  const placeholder = (field: 'loopCount' | 'speed') =>
    inherited?.[field] === undefined ? undefined : String(inherited[field]);
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
            placeholder={placeholder('loopCount')}
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
            placeholder={placeholder('speed')}
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
            checked={values.boomerang ?? inherited?.boomerang === true}
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
            onChange={(v: string | number) => set('sizeMode', v as PlaybackOverrides['sizeMode'])}
            disabled={disabled}
          >
            {inherited && (
              <SingleSelectOption value="template">
                {t('videos.make.asTemplate', 'As the template ({value})', {
                  value: modes[inherited.sizeMode],
                })}
              </SingleSelectOption>
            )}
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
