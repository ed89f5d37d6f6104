import {
  CAPTURE_METHOD_FIELD,
  DEFAULT_ENCODER_PROFILE,
  type EncoderProfile,
  TEMPLATE_LIMITS,
  type ValidationIssue,
  validateTemplate,
} from '@dynamic-image/core';
import {
  Box,
  Button,
  Field,
  Flex,
  Grid,
  NumberInput,
  Radio,
  SingleSelect,
  SingleSelectOption,
  TextInput,
  Toggle,
  Typography,
} from '@strapi/design-system';
import { Check } from '@strapi/icons';
import { BackButton, Layouts, Page, useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { EncoderControlFields } from '../components/EncoderControlFields';
import { PlaybackFields } from '../components/PlaybackFields';
import { PreviewPanel } from '../components/PreviewPanel';
import { ProfileSelect } from '../components/ProfileSelect';
import {
  SIZE_BUDGET_DEFAULTS,
  SIZE_BUDGET_FIELDS,
  SizeBudgetField,
  type SizeBudgetValues,
  sizeBudgetInput,
  sizeBudgetValues,
} from '../components/SizeBudgetField';
import { StartField } from '../components/StartField';
import { LoadError } from '../components/States';
import { PERMISSIONS } from '../permissions';
import { errorOf, type Template } from '../utils/api';
import { timeInput } from '../utils/format';
import { useIssueMessage } from '../utils/issues';
import { useT } from '../utils/t';
import {
  ENCODER_CONTROL_DEFAULTS,
  ENCODER_CONTROL_FIELDS,
  type EncoderControlValues,
  encoderControlInput,
  encoderControlValues,
  PLAYBACK_DEFAULTS,
  PLAYBACK_FIELDS,
  type PlaybackValues,
  playbackInput,
  playbackValues,
  type StartValues,
} from '../utils/template-field-values';
import { useCan } from '../utils/useCan';

/** The form's values as typed: numbers may be empty, times may be seconds or hh:mm:ss. */
interface FormValues extends PlaybackValues, EncoderControlValues, SizeBudgetValues, StartValues {
  name: string;
  format: 'gif' | 'webp';
  fps: number | undefined;
  width: number | undefined;
  height: number | undefined;
  captureMethod: 'byDuration' | 'trimBeginEnd';
  duration: string;
  trimEnd: string;
  setAsDefaultThumbnail: boolean;
  profile: EncoderProfile;
}

const EMPTY: FormValues = {
  name: '',
  format: 'gif',
  fps: 10,
  width: 480,
  height: undefined,
  captureMethod: 'byDuration',
  start: '0',
  startAuto: false,
  duration: '3',
  trimEnd: '',
  setAsDefaultThumbnail: false,
  profile: DEFAULT_ENCODER_PROFILE,
  ...PLAYBACK_DEFAULTS,
  ...ENCODER_CONTROL_DEFAULTS,
  ...SIZE_BUDGET_DEFAULTS,
};

/** What the API receives, built exactly as core validates it. */
export function toTemplateInput(values: FormValues): Record<string, unknown> {
  const input: Record<string, unknown> = {
    name: values.name,
    format: values.format,
    fps: values.fps,
    width: values.width,
    height: values.height,
    captureMethod: values.captureMethod,
    start: values.startAuto ? 'auto' : (timeInput(values.start) ?? 0),
    setAsDefaultThumbnail: values.setAsDefaultThumbnail,
    profile: values.profile,
    ...playbackInput(values),
    ...encoderControlInput(values, values.format),
    ...sizeBudgetInput(values),
  };
  const own = CAPTURE_METHOD_FIELD[values.captureMethod];
  input[own] = timeInput(values[own]);
  for (const key of Object.keys(input)) if (input[key] === undefined) delete input[key];
  return input;
}

function fromTemplate(tpl: Template): FormValues {
  return {
    name: tpl.name,
    format: tpl.format,
    fps: tpl.fps,
    width: tpl.width ?? undefined,
    height: tpl.height ?? undefined,
    captureMethod: tpl.captureMethod,
    start: tpl.start === 'auto' ? '0' : String(tpl.start ?? 0),
    startAuto: tpl.start === 'auto',
    duration: tpl.duration == null ? '' : String(tpl.duration),
    trimEnd: tpl.trimEnd == null ? '' : String(tpl.trimEnd),
    setAsDefaultThumbnail: tpl.setAsDefaultThumbnail === true,
    profile: tpl.profile ?? DEFAULT_ENCODER_PROFILE,
    ...playbackValues(tpl),
    ...encoderControlValues(tpl),
    ...sizeBudgetValues(tpl),
  };
}

export function TemplateEditPage() {
  const t = useT();
  const can = useCan();
  const { templateId = 'new' } = useParams();
  const isNew = templateId === 'new';
  const navigate = useNavigate();
  const { get, post, put } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [values, setValues] = React.useState<FormValues>(EMPTY);
  const [loaded, setLoaded] = React.useState(isNew);
  const [loadError, setLoadError] = React.useState<ReturnType<typeof errorOf> | null>(null);
  const [touched, setTouched] = React.useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = React.useState(false);
  const [serverIssues, setServerIssues] = React.useState<ValidationIssue[]>([]);
  const [saving, setSaving] = React.useState(false);
  const canWrite = can(PERMISSIONS.templatesWrite);

  React.useEffect(() => {
    if (isNew) return;
    get<{ data: Template }>(`/dynamic-image/templates/${templateId}`)
      .then((r) => {
        setValues(fromTemplate(r.data.data));
        setLoaded(true);
      })
      .catch((err) => setLoadError(errorOf(err)));
  }, [get, isNew, templateId]);

  const input = React.useMemo(() => toTemplateInput(values), [values]);
  // The same function the API runs: the same rules and the same messages, as the user types.
  const result = React.useMemo(() => validateTemplate(input), [input]);
  const issueMessage = useIssueMessage();
  const issues = result.ok ? serverIssues : [...result.issues, ...serverIssues];
  const errorFor = (field: string) => {
    if (!submitted && !touched.has(field)) return undefined;
    const found = issues.filter((i) => i.field === field);
    return found.length ? found.map(issueMessage).join('; ') : undefined;
  };
  const set = <K extends keyof FormValues>(key: K, value: FormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setTouched((s) => new Set(s).add(key));
    setServerIssues([]);
  };

  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!result.ok) return;
    setSaving(true);
    try {
      if (isNew) {
        const r = await post<{ data: Template }>('/dynamic-image/templates', input);
        toggleNotification({ type: 'success', message: t('templates.created', 'Template created') });
        navigate(`../templates/${r.data.data.templateId}`, { replace: true });
      } else {
        // A cleared field is sent as null so the stored value goes too.
        const patch: Record<string, unknown> = { width: null, height: null, duration: null, trimEnd: null };
        for (const field of PLAYBACK_FIELDS) patch[field] = null;
        await put(`/dynamic-image/templates/${templateId}`, { ...patch, ...input });
        toggleNotification({ type: 'success', message: t('templates.saved', 'Template saved') });
      }
    } catch (err) {
      const e = errorOf(err);
      const fromServer = (e.details as { issues?: ValidationIssue[] } | undefined)?.issues;
      const field = e.code?.startsWith('InvalidParameter.') ? e.code.slice(17) : null;
      setServerIssues(
        fromServer?.length
          ? fromServer
          : field
            ? [
                {
                  field: field.charAt(0).toLowerCase() + field.slice(1),
                  rule: 'server',
                  message: e.message,
                  value: null,
                },
              ]
            : [],
      );
      toggleNotification({ type: 'danger', message: e.message });
    } finally {
      setSaving(false);
    }
  };

  if (loadError) {
    return (
      <Page.Main>
        <Layouts.Header title={t('templates.edit', 'Edit template')} navigationAction={<BackButton />} />
        <Layouts.Content>
          <LoadError error={loadError} />
        </Layouts.Content>
      </Page.Main>
    );
  }
  if (!loaded) return <Page.Loading />;

  const own = CAPTURE_METHOD_FIELD[values.captureMethod];
  // Issues of fields the form shows are shown at the field; the rest below the form.
  const shown = ['name', 'format', 'profile', 'fps', 'width', 'height', 'captureMethod', 'start', own];
  const elsewhere = issues.filter(
    (i) =>
      ![...shown, ...PLAYBACK_FIELDS, ...ENCODER_CONTROL_FIELDS, ...SIZE_BUDGET_FIELDS].includes(i.field),
  );
  const gifTooFast = values.format === 'gif' && (values.fps ?? 0) > TEMPLATE_LIMITS.gifMaxPlayableFps;
  const sizeHint = (side: 'width' | 'height') => {
    const other = side === 'width' ? values.height : values.width;
    const mine = values[side];
    if (mine !== undefined)
      return t('field.size.set', 'Pixels, {min} to {max}.', {
        min: TEMPLATE_LIMITS.sizeMin,
        max: TEMPLATE_LIMITS.sizeMax,
      });
    if (other === undefined)
      return t('field.size.source', 'Empty: the video’s own size (both empty keeps it).');
    return side === 'width'
      ? t('field.width.follows', 'Empty: the width follows the video’s aspect ratio.')
      : t('field.height.follows', 'Empty: the height follows the video’s aspect ratio.');
  };

  const genericHint = (field: string) =>
    ({
      name: t('field.name.hint', '{min}–{max} characters: letters, digits, _ and -', {
        min: TEMPLATE_LIMITS.nameMin,
        max: TEMPLATE_LIMITS.nameMax,
      }),
      start: t('field.start.hint', 'Seconds (e.g. 1.5) or hh:mm:ss.SSS, from the start of the video'),
      duration: t('field.duration.hint', 'Seconds to capture from the start time'),
      trimEnd: t(
        'field.trimEnd.hint',
        'Seconds cut off the end of the video; capture runs from start to there',
      ),
    })[field];

  return (
    <Page.Main>
      <Page.Title>{isNew ? t('templates.new', 'New template') : values.name}</Page.Title>
      <form onSubmit={save} noValidate>
        <Layouts.Header
          navigationAction={<BackButton fallback="../templates" />}
          title={isNew ? t('templates.new', 'New template') : t('templates.edit', 'Edit template')}
          subtitle={
            isNew
              ? t('templates.new.subtitle', 'The rules shown here are the ones the API applies')
              : templateId
          }
          primaryAction={
            canWrite ? (
              <Button type="submit" startIcon={<Check />} loading={saving} disabled={submitted && !result.ok}>
                {t('action.save', 'Save')}
              </Button>
            ) : undefined
          }
        />
        <Layouts.Content>
          <Flex direction="column" alignItems="stretch" gap={6}>
            <Box background="neutral0" hasRadius shadow="tableShadow" padding={6}>
              <Grid.Root gap={5}>
                <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
                  <Field.Root name="name" error={errorFor('name')} hint={genericHint('name')} required>
                    <Field.Label>{t('field.name', 'Name')}</Field.Label>
                    <TextInput
                      value={values.name}
                      onChange={(e: React.ChangeEvent<HTMLInputElement>) => set('name', e.target.value)}
                      disabled={!canWrite}
                    />
                    <Field.Error />
                    <Field.Hint />
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
                  <Field.Root name="format" error={errorFor('format')} required>
                    <Field.Label>{t('field.format', 'Format')}</Field.Label>
                    <SingleSelect
                      value={values.format}
                      onChange={(v: string | number) => set('format', v as FormValues['format'])}
                      disabled={!canWrite}
                    >
                      <SingleSelectOption value="gif">GIF</SingleSelectOption>
                      <SingleSelectOption value="webp">WebP</SingleSelectOption>
                    </SingleSelect>
                    <Field.Error />
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
                  <ProfileSelect
                    value={values.profile}
                    onChange={(v) => set('profile', v)}
                    error={errorFor('profile')}
                    disabled={!canWrite}
                  />
                </Grid.Item>
                <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
                  <Field.Root
                    name="fps"
                    error={errorFor('fps')}
                    hint={
                      gifTooFast
                        ? t(
                            'field.fps.gifLimit',
                            'GIF plays at most {max} fps: its frame delays are whole hundredths of a second and browsers slow shorter ones down. It will be encoded at {max} fps.',
                            { max: TEMPLATE_LIMITS.gifMaxPlayableFps },
                          )
                        : t('field.fps.hint', 'Frames per second, {min} to {max}', {
                            min: TEMPLATE_LIMITS.fpsMin,
                            max: TEMPLATE_LIMITS.fpsMax,
                          })
                    }
                    required
                  >
                    <Field.Label>{t('field.fps', 'Frame rate')}</Field.Label>
                    <NumberInput
                      value={values.fps}
                      onValueChange={(v: number | undefined) => set('fps', v)}
                      disabled={!canWrite}
                    />
                    <Field.Error />
                    <Field.Hint />
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
                  <Field.Root name="width" error={errorFor('width')} hint={sizeHint('width')}>
                    <Field.Label>{t('field.width', 'Width')}</Field.Label>
                    <NumberInput
                      value={values.width}
                      onValueChange={(v: number | undefined) => set('width', v)}
                      disabled={!canWrite}
                    />
                    <Field.Error />
                    <Field.Hint />
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
                  <Field.Root name="height" error={errorFor('height')} hint={sizeHint('height')}>
                    <Field.Label>{t('field.height', 'Height')}</Field.Label>
                    <NumberInput
                      value={values.height}
                      onValueChange={(v: number | undefined) => set('height', v)}
                      disabled={!canWrite}
                    />
                    <Field.Error />
                    <Field.Hint />
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
                  <Field.Root
                    name="setAsDefaultThumbnail"
                    hint={t(
                      'field.setAsDefaultThumbnail.hint',
                      'The result becomes the video’s default thumbnail',
                    )}
                  >
                    <Field.Label>{t('field.setAsDefaultThumbnail', 'Make it the video’s cover')}</Field.Label>
                    <Toggle
                      checked={values.setAsDefaultThumbnail}
                      onLabel={t('common.yes', 'Yes')}
                      offLabel={t('common.no', 'No')}
                      onChange={(e: React.ChangeEvent<HTMLInputElement>) =>
                        set('setAsDefaultThumbnail', e.target.checked)
                      }
                      disabled={!canWrite}
                    />
                    <Field.Hint />
                  </Field.Root>
                </Grid.Item>
                <PlaybackFields
                  values={values}
                  set={(key, value) => set(key, value as FormValues[typeof key])}
                  errorFor={errorFor}
                  disabled={!canWrite}
                />
                <EncoderControlFields
                  format={values.format}
                  values={values}
                  set={(key, value) => set(key, value as FormValues[typeof key])}
                  errorFor={errorFor}
                  disabled={!canWrite}
                />
                <SizeBudgetField
                  value={values.maxKilobytes}
                  set={(value) => {
                    set('maxKilobytes', value);
                    // Typed in KB, checked by core as maxBytes: its issues show once this is typed in.
                    setTouched((t) => new Set(t).add('maxBytes'));
                  }}
                  errorFor={errorFor}
                  disabled={!canWrite}
                />
                <Grid.Item col={12} direction="column" alignItems="stretch">
                  <Field.Root name="captureMethod" error={errorFor('captureMethod')}>
                    <Field.Label>{t('field.captureMethod', 'Capture window')}</Field.Label>
                    <Radio.Group
                      value={values.captureMethod}
                      onValueChange={(v: string) => set('captureMethod', v as FormValues['captureMethod'])}
                      disabled={!canWrite}
                    >
                      <Radio.Item value="byDuration">
                        {t('field.captureMethod.byDuration', 'A duration from the start time')}
                      </Radio.Item>
                      <Radio.Item value="trimBeginEnd">
                        {t('field.captureMethod.trimBeginEnd', 'From the start time to a trim at the end')}
                      </Radio.Item>
                    </Radio.Group>
                    <Field.Error />
                  </Field.Root>
                </Grid.Item>
                <StartField
                  values={values}
                  set={(key, value) => set(key, value as FormValues[typeof key])}
                  error={errorFor('start')}
                  hint={genericHint('start')}
                  disabled={!canWrite}
                />
                <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
                  <Field.Root name={own} key={own} error={errorFor(own)} hint={genericHint(own)} required>
                    <Field.Label>
                      {own === 'duration'
                        ? t('field.duration', 'Duration')
                        : t('field.trimEnd', 'Trim at the end')}
                    </Field.Label>
                    <TextInput
                      value={values[own]}
                      onChange={(e: React.ChangeEvent<HTMLInputElement>) => set(own, e.target.value)}
                      disabled={!canWrite}
                    />
                    <Field.Error />
                    <Field.Hint />
                  </Field.Root>
                </Grid.Item>
              </Grid.Root>
              {elsewhere.length > 0 && (submitted || touched.size > 0) && (
                <Box paddingTop={4}>
                  {elsewhere.map((i) => (
                    <Typography key={`${i.field}-${i.rule}`} tag="p" textColor="danger600" variant="pi">
                      {issueMessage(i)}
                    </Typography>
                  ))}
                </Box>
              )}
            </Box>
            {canWrite && <PreviewPanel template={result.ok ? input : null} />}
          </Flex>
        </Layouts.Content>
      </form>
    </Page.Main>
  );
}
