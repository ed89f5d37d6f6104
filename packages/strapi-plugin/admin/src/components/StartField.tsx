import { Field, Flex, Grid, TextInput, Toggle } from '@strapi/design-system';
import type * as React from 'react';
import { useT } from '../utils/t';
import type { StartOverrides, StartValues } from '../utils/template-field-values';

/**
 * The template's Start: a time, or "Choose the start automatically" (then the time is not used). With
 * `inherited` (the template's), an override form's: the time left empty shows the template's.
 */
export function StartField({
  values,
  set,
  error,
  hint,
  disabled,
  inherited,
}: {
  values: StartOverrides;
  set: <K extends keyof StartOverrides>(key: K, value: StartOverrides[K]) => void;
  error: string | undefined;
  hint: string | undefined;
  disabled: boolean;
  inherited?: StartValues | undefined;
}) {
  const t = useT();
  const auto = values.startAuto ?? inherited?.startAuto === true;
  return (
    <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
      <Flex direction="column" alignItems="stretch" gap={2}>
        <Field.Root
          name="start"
          error={error}
          hint={
            auto
              ? t(
                  'field.startAuto.hint',
                  'The window of the requested duration where the video has the most action; never inside a fade from black',
                )
              : hint
          }
        >
          <Field.Label>{t('field.start', 'Start')}</Field.Label>
          <TextInput
            value={auto ? '' : values.start}
            placeholder={
              auto
                ? t('field.startAuto.placeholder', 'Automatic')
                : inherited && !inherited.startAuto
                  ? inherited.start
                  : undefined
            }
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('start', e.target.value)}
            disabled={disabled || auto}
          />
          <Field.Error />
          <Field.Hint />
        </Field.Root>
        <Field.Root name="startAuto">
          <Field.Label>{t('field.startAuto', 'Choose the start automatically')}</Field.Label>
          <Toggle
            checked={auto}
            onLabel={t('common.yes', 'Yes')}
            offLabel={t('common.no', 'No')}
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('startAuto', e.target.checked)}
            disabled={disabled}
          />
        </Field.Root>
      </Flex>
    </Grid.Item>
  );
}
