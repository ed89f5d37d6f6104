// The encoder profile field, shared by the template form and the one-off's overrides ("Make dynamic image").
import { ENCODER_PROFILES, type EncoderProfile } from '@dynamic-image/core';
import { Field, SingleSelect, SingleSelectOption } from '@strapi/design-system';
import { useT } from '../utils/t';

/** Each profile's name and hint, as literal keys so the translation check sees them. */
function profileTexts(t: ReturnType<typeof useT>): Record<EncoderProfile, { name: string; hint: string }> {
  return {
    balanced: {
      name: t('field.profile.balanced', 'Balanced'),
      hint: t(
        'field.profile.balanced.hint',
        'Good quality for its size, about as fast as ever (the default)',
      ),
    },
    quality: {
      name: t('field.profile.quality', 'Quality'),
      hint: t(
        'field.profile.quality.hint',
        'GIF as good as gifski’s at its size; takes several times longer',
      ),
    },
    small: {
      name: t('field.profile.small', 'Small'),
      hint: t('field.profile.small.hint', 'Fewest bytes that still look right'),
    },
    fast: { name: t('field.profile.fast', 'Fast'), hint: t('field.profile.fast.hint', 'Least CPU time') },
  };
}

/**
 * A select of the encoder profiles. With `inherited` (the template's own profile) it also offers "as the
 * template", whose value is `template`: an override form keeps the template's profile unless one is picked.
 */
export function ProfileSelect<V extends EncoderProfile | 'template'>({
  value,
  onChange,
  error,
  disabled,
  inherited,
}: {
  value: V;
  onChange: (value: V) => void;
  error?: string;
  disabled?: boolean;
  inherited?: EncoderProfile;
}) {
  const t = useT();
  const texts = profileTexts(t);
  const shown = value === 'template' ? inherited : (value as EncoderProfile);
  return (
    <Field.Root name="profile" error={error} hint={shown ? texts[shown].hint : undefined}>
      <Field.Label>{t('field.profile', 'Encoder profile')}</Field.Label>
      <SingleSelect value={value} onChange={(v: string | number) => onChange(v as V)} disabled={disabled}>
        {inherited && (
          <SingleSelectOption value="template">
            {t('videos.make.asTemplate', 'As the template ({value})', { value: texts[inherited].name })}
          </SingleSelectOption>
        )}
        {ENCODER_PROFILES.map((profile) => (
          <SingleSelectOption key={profile} value={profile}>
            {texts[profile].name}
          </SingleSelectOption>
        ))}
      </SingleSelect>
      <Field.Error />
      <Field.Hint />
    </Field.Root>
  );
}
