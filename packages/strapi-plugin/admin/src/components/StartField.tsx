import { Field, Flex, Grid, TextInput, Toggle } from '@strapi/design-system';
import type * as React from 'react';
import { useT } from '../utils/t';

export interface StartValues {
  start: string;
  /** `start: "auto"`: the worker chooses the most active window (byDuration only). */
  startAuto: boolean;
}

/** The template's Start: a time, or "Choose the start automatically" (then the time is not used). */
export function StartField({
  values,
  set,
  error,
  hint,
  disabled,
}: {
  values: StartValues;
  set: <K extends keyof StartValues>(key: K, value: StartValues[K]) => void;
  error: string | undefined;
  hint: string | undefined;
  disabled: boolean;
}) {
  const t = useT();
  return (
    <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
      <Flex direction="column" alignItems="stretch" gap={2}>
        <Field.Root
          name="start"
          error={error}
          hint={
            values.startAuto
              ? t(
                  'field.startAuto.hint',
                  'The window of the requested duration where the video has the most action; never inside a fade from black',
                )
              : hint
          }
        >
          <Field.Label>{t('field.start', 'Start')}</Field.Label>
          <TextInput
            value={values.startAuto ? '' : values.start}
            placeholder={values.startAuto ? t('field.startAuto.placeholder', 'Automatic') : undefined}
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('start', e.target.value)}
            disabled={disabled || values.startAuto}
          />
          <Field.Error />
          <Field.Hint />
        </Field.Root>
        <Field.Root name="startAuto">
          <Field.Label>{t('field.startAuto', 'Choose the start automatically')}</Field.Label>
          <Toggle
            checked={values.startAuto}
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
