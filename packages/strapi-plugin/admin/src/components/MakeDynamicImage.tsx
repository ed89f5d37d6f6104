import { CAPTURE_METHOD_FIELD, DEFAULT_ENCODER_PROFILE, type ValidationIssue } from '@dynamic-image/core';
import {
  Box,
  Button,
  Field,
  Grid,
  Modal,
  NumberInput,
  SingleSelect,
  SingleSelectOption,
  TextInput,
  Toggle,
  Typography,
} from '@strapi/design-system';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { errorOf, type SubmitJobRequest, type Template, type Video } from '../utils/api';
import { useIssueMessage } from '../utils/issues';
import {
  BLANK_OVERRIDES,
  checkOverrides,
  OVERRIDE_FIELDS,
  type OverrideValues,
  overrideParams,
  templateStart,
} from '../utils/one-off-overrides';
import { useT } from '../utils/t';
import { encoderControlValues, playbackValues } from '../utils/template-field-values';
import { EncoderControlFields } from './EncoderControlFields';
import { PlaybackFields } from './PlaybackFields';
import { ProfileSelect } from './ProfileSelect';
import { StartField } from './StartField';

/** "Make dynamic image": one template, by name, with optional overrides, on one video; no workflow. */
export function MakeDynamicImage({
  video,
  templates,
  onClose,
  onDone,
}: {
  video: Video | null;
  templates: Template[];
  onClose: () => void;
  onDone: () => void;
}) {
  const t = useT();
  const issueMessage = useIssueMessage();
  const { post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [templateId, setTemplateId] = React.useState<string | null>(null);
  const [values, setValues] = React.useState<OverrideValues>(BLANK_OVERRIDES);
  const [serverIssues, setServerIssues] = React.useState<ValidationIssue[]>([]);
  const [sending, setSending] = React.useState(false);
  React.useEffect(() => {
    if (!video) return;
    setTemplateId(null);
    setValues(BLANK_OVERRIDES);
    setServerIssues([]);
  }, [video]);

  const template = templates.find((x) => x.templateId === templateId);
  const overrides = React.useMemo(
    () => (template ? overrideParams(template, values) : {}),
    [template, values],
  );
  const local = React.useMemo(() => checkOverrides(template, overrides), [template, overrides]);
  const issues = [...local, ...serverIssues];
  const own = template ? CAPTURE_METHOD_FIELD[template.captureMethod] : 'duration';
  // Core names an override's issue overrideParams.<field>; the template's own fields keep their names.
  const fieldOf = (issue: ValidationIssue) => issue.field.replace(/^overrideParams\./, '');
  const errorFor = (field: string) => {
    const found = issues.filter((i) => fieldOf(i) === field);
    return found.length ? found.map(issueMessage).join('; ') : undefined;
  };
  const elsewhere = issues.filter((i) => !OVERRIDE_FIELDS.includes(fieldOf(i)));
  const set = <K extends keyof OverrideValues>(key: K, value: OverrideValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setServerIssues([]);
  };

  const make = async () => {
    if (!video || !template || local.length) return;
    setSending(true);
    const request: SubmitJobRequest = {
      videoId: video.videoId,
      templateId: template.templateId,
      // Asked for by hand: made again even where the same content and settings already have a job.
      force: true,
    };
    if (Object.keys(overrides).length) request.overrideParams = overrides;
    try {
      await post('/dynamic-image/jobs', request);
      toggleNotification({ type: 'success', message: t('videos.make.started', 'Job started') });
      onDone();
    } catch (err) {
      const e = errorOf(err);
      setServerIssues((e.details as { issues?: ValidationIssue[] } | undefined)?.issues ?? []);
      toggleNotification({ type: 'danger', message: e.code ? `${e.code}: ${e.message}` : e.message });
    } finally {
      setSending(false);
    }
  };

  const number = (key: 'fps' | 'width' | 'height', label: string) => (
    <Field.Root name={key} error={errorFor(key)}>
      <Field.Label>{label}</Field.Label>
      <NumberInput
        value={values[key]}
        placeholder={template?.[key] == null ? '' : String(template[key])}
        onValueChange={(v: number | undefined) => set(key, v)}
        disabled={!template}
      />
      <Field.Error />
    </Field.Root>
  );

  return (
    <Modal.Root open={video !== null} onOpenChange={(open: boolean) => !open && onClose()}>
      <Modal.Content>
        <Modal.Header>
          <Modal.Title>
            {t('videos.make.title', 'Make a dynamic image of {name}', { name: video?.name ?? '' })}
          </Modal.Title>
        </Modal.Header>
        <Modal.Body>
          <Grid.Root gap={4}>
            <Grid.Item col={12} direction="column" alignItems="stretch">
              <Field.Root name="template" required>
                <Field.Label>{t('videos.make.template', 'Template')}</Field.Label>
                <SingleSelect
                  placeholder={t('videos.make.template.placeholder', 'Choose a template')}
                  value={templateId ?? undefined}
                  onChange={(value: string | number) => {
                    setTemplateId(String(value));
                    setServerIssues([]);
                  }}
                >
                  {templates.map((x) => (
                    <SingleSelectOption key={x.templateId} value={x.templateId}>
                      {x.name}
                    </SingleSelectOption>
                  ))}
                </SingleSelect>
              </Field.Root>
              <Box paddingTop={2}>
                <Typography variant="pi" textColor="neutral600">
                  {t(
                    'videos.make.overrides',
                    'Overrides are optional: an empty field keeps the template’s value.',
                  )}
                </Typography>
              </Box>
            </Grid.Item>
            <Grid.Item col={6} direction="column" alignItems="stretch">
              <Field.Root name="format" error={errorFor('format')}>
                <Field.Label>{t('field.format', 'Format')}</Field.Label>
                <SingleSelect
                  value={values.format}
                  onChange={(v: string | number) => set('format', v as OverrideValues['format'])}
                  disabled={!template}
                >
                  <SingleSelectOption value="template">
                    {t('videos.make.asTemplate', 'As the template ({value})', {
                      value: template?.format.toUpperCase() ?? '',
                    })}
                  </SingleSelectOption>
                  <SingleSelectOption value="gif">GIF</SingleSelectOption>
                  <SingleSelectOption value="webp">WebP</SingleSelectOption>
                </SingleSelect>
                <Field.Error />
              </Field.Root>
            </Grid.Item>
            <Grid.Item col={6} direction="column" alignItems="stretch">
              <ProfileSelect
                value={values.profile}
                onChange={(v) => set('profile', v)}
                error={errorFor('profile')}
                disabled={!template}
                inherited={template?.profile ?? DEFAULT_ENCODER_PROFILE}
              />
            </Grid.Item>
            <Grid.Item col={6} direction="column" alignItems="stretch">
              {number('fps', t('field.fps', 'Frame rate'))}
            </Grid.Item>
            <Grid.Item col={6} direction="column" alignItems="stretch">
              {number('width', t('field.width', 'Width'))}
            </Grid.Item>
            <Grid.Item col={6} direction="column" alignItems="stretch">
              {number('height', t('field.height', 'Height'))}
            </Grid.Item>
            <StartField
              values={values}
              set={(key, value) => set(key, value as OverrideValues[typeof key])}
              error={errorFor('start')}
              hint={undefined}
              disabled={!template}
              inherited={template && templateStart(template)}
            />
            <Grid.Item col={6} direction="column" alignItems="stretch">
              <Field.Root name={own} key={own} error={errorFor(own)}>
                <Field.Label>
                  {own === 'duration'
                    ? t('field.duration', 'Duration')
                    : t('field.trimEnd', 'Trim at the end')}
                </Field.Label>
                <TextInput
                  value={values.time}
                  placeholder={template?.[own] == null ? '' : String(template[own])}
                  onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('time', e.target.value)}
                  disabled={!template}
                />
                <Field.Error />
              </Field.Root>
            </Grid.Item>
            <Grid.Item col={12} direction="column" alignItems="stretch">
              <Field.Root name="setAsDefaultThumbnail" error={errorFor('setAsDefaultThumbnail')}>
                <Field.Label>{t('field.setAsDefaultThumbnail', 'Make it the video’s cover')}</Field.Label>
                <Toggle
                  checked={values.cover ?? template?.setAsDefaultThumbnail === true}
                  onLabel={t('common.yes', 'Yes')}
                  offLabel={t('common.no', 'No')}
                  onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('cover', e.target.checked)}
                  disabled={!template}
                />
                <Field.Error />
              </Field.Root>
            </Grid.Item>
            <PlaybackFields
              values={values}
              set={(key, value) => set(key, value as OverrideValues[typeof key])}
              errorFor={errorFor}
              disabled={!template}
              inherited={template && playbackValues(template)}
            />
            <EncoderControlFields
              format={values.format === 'template' ? (template?.format ?? 'gif') : values.format}
              values={values}
              set={(key, value) => set(key, value as OverrideValues[typeof key])}
              errorFor={errorFor}
              disabled={!template}
              inherited={template && encoderControlValues(template)}
            />
            {elsewhere.length > 0 && (
              <Grid.Item col={12} direction="column" alignItems="stretch">
                {elsewhere.map((i) => (
                  <Typography key={`${i.field}-${i.rule}`} tag="p" textColor="danger600" variant="pi">
                    {issueMessage(i)}
                  </Typography>
                ))}
              </Grid.Item>
            )}
          </Grid.Root>
        </Modal.Body>
        <Modal.Footer>
          <Modal.Close>
            <Button variant="tertiary">{t('action.cancel', 'Cancel')}</Button>
          </Modal.Close>
          <Button onClick={make} loading={sending} disabled={!template || local.length > 0}>
            {t('videos.make.run', 'Make it')}
          </Button>
        </Modal.Footer>
      </Modal.Content>
    </Modal.Root>
  );
}
