// The template form's size budget (core's maxBytes), typed in KB: empty is no budget. Over it, the worker
// lowers quality, then fps, then size (docs/api.md#size-budget-maxbytes).
import { SIZE_BUDGET_LIMITS } from '@dynamic-image/core';
import { Field, Grid, NumberInput } from '@strapi/design-system';
import { useT } from '../utils/t';

const KB = 1024;

export interface SizeBudgetValues {
  /** Kilobytes as typed (1 KB = 1024 bytes). */
  maxKilobytes: number | undefined;
}

export const SIZE_BUDGET_DEFAULTS: SizeBudgetValues = { maxKilobytes: undefined };
export const SIZE_BUDGET_FIELDS = ['maxBytes'];

/** What core receives: whole bytes, absent when empty. */
export function sizeBudgetInput(values: SizeBudgetValues): Record<string, unknown> {
  return values.maxKilobytes === undefined ? {} : { maxBytes: Math.round(values.maxKilobytes * KB) };
}

export function sizeBudgetValues(template: { maxBytes?: unknown }): SizeBudgetValues {
  return { maxKilobytes: typeof template.maxBytes === 'number' ? template.maxBytes / KB : undefined };
}

export function SizeBudgetField({
  value,
  set,
  errorFor,
  disabled,
}: {
  value: number | undefined;
  set: (value: number | undefined) => void;
  errorFor: (field: string) => string | undefined;
  disabled: boolean;
}) {
  const t = useT();
  return (
    <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
      <Field.Root
        name="maxBytes"
        error={errorFor('maxBytes')}
        hint={t(
          'field.maxBytes.hint',
          'In KB, {min} to {max}; over it, quality, then fps, then size are lowered. Empty: no budget',
          {
            min: SIZE_BUDGET_LIMITS.maxBytesMin / KB,
            max: SIZE_BUDGET_LIMITS.maxBytesMax / KB,
          },
        )}
      >
        <Field.Label>{t('field.maxBytes', 'Size budget (KB)')}</Field.Label>
        <NumberInput
          value={value}
          step={1}
          onValueChange={(v: number | undefined) => set(v)}
          disabled={disabled}
        />
        <Field.Error />
        <Field.Hint />
      </Field.Root>
    </Grid.Item>
  );
}
