import {
  applyOverrides,
  CAPTURE_METHOD_FIELD,
  type Template as CoreTemplate,
  DEFAULT_ENCODER_PROFILE,
  type EncoderProfile,
  TemplateValidationError,
  type ValidationIssue,
} from '@dynamic-image/core';
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
import { timeInput } from '../utils/format';
import { useIssueMessage } from '../utils/issues';
import { useT } from '../utils/t';
import { ProfileSelect } from './ProfileSelect';

/** The overrides as typed; an empty field keeps the template's value. */
interface Values {
  format: 'template' | 'gif' | 'webp';
  profile: 'template' | EncoderProfile;
  fps: number | undefined;
  width: number | undefined;
  height: number | undefined;
  start: string;
  /** The template's own window field: duration (byDuration) or trimEnd (trimBeginEnd). */
  time: string;
  /** null: as the template says. */
  cover: boolean | null;
}

const BLANK: Values = {
  format: 'template',
  profile: 'template',
  fps: undefined,
  width: undefined,
  height: undefined,
  start: '',
  time: '',
  cover: null,
};

const FIELDS = [
  'format',
  'profile',
  'fps',
  'width',
  'height',
  'start',
  'duration',
  'trimEnd',
  'setAsDefaultThumbnail',
];

/** VOD's OverrideParams from the form: only what differs from the template. */
function overrideParams(template: Template, values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (values.format !== 'template') out.format = values.format;
  if (values.profile !== 'template') out.profile = values.profile;
  for (const key of ['fps', 'width', 'height'] as const)
    if (values[key] !== undefined) out[key] = values[key];
  const start = timeInput(values.start);
  if (start !== undefined) out.start = start;
  const time = timeInput(values.time);
  if (time !== undefined) out[CAPTURE_METHOD_FIELD[template.captureMethod]] = time;
  if (values.cover !== null && values.cover !== template.setAsDefaultThumbnail)
    out.setAsDefaultThumbnail = values.cover;
  return out;
}

/** The stored template as core reads it: without its id, dates and cleared fields. */
function coreTemplate(stored: Template & { createdAt?: string }): CoreTemplate {
  const { templateId: _id, createdAt: _c, updatedAt: _u, ...fields } = stored;
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v != null)) as unknown as CoreTemplate;
}

/** Core's own check of the overrides, the one the API runs: no issues when they apply. */
function check(template: Template | undefined, overrides: Record<string, unknown>): ValidationIssue[] {
  if (!template) return [];
  try {
    applyOverrides(coreTemplate(template), overrides);
    return [];
  } catch (err) {
    if (err instanceof TemplateValidationError) return err.issues;
    throw err;
  }
}

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
  const [values, setValues] = React.useState<Values>(BLANK);
  const [serverIssues, setServerIssues] = React.useState<ValidationIssue[]>([]);
  const [sending, setSending] = React.useState(false);
  React.useEffect(() => {
    if (!video) return;
    setTemplateId(null);
    setValues(BLANK);
    setServerIssues([]);
  }, [video]);

  const template = templates.find((x) => x.templateId === templateId);
  const overrides = React.useMemo(
    () => (template ? overrideParams(template, values) : {}),
    [template, values],
  );
  const local = React.useMemo(() => check(template, overrides), [template, overrides]);
  const issues = [...local, ...serverIssues];
  const own = template ? CAPTURE_METHOD_FIELD[template.captureMethod] : 'duration';
  // Core names an override's issue overrideParams.<field>; the template's own fields keep their names.
  const fieldOf = (issue: ValidationIssue) => issue.field.replace(/^overrideParams\./, '');
  const errorFor = (field: string) => {
    const found = issues.filter((i) => fieldOf(i) === field);
    return found.length ? found.map(issueMessage).join('; ') : undefined;
  };
  const elsewhere = issues.filter((i) => !FIELDS.includes(fieldOf(i)));
  const set = <K extends keyof Values>(key: K, value: Values[K]) => {
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
                  onChange={(v: string | number) => set('format', v as Values['format'])}
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
            <Grid.Item col={6} direction="column" alignItems="stretch">
              <Field.Root name="start" error={errorFor('start')}>
                <Field.Label>{t('field.start', 'Start')}</Field.Label>
                <TextInput
                  value={values.start}
                  placeholder={template ? String(template.start ?? 0) : ''}
                  onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('start', e.target.value)}
                  disabled={!template}
                />
                <Field.Error />
              </Field.Root>
            </Grid.Item>
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
