import {
  Box,
  Button,
  Field,
  Flex,
  Grid,
  IconButton,
  SingleSelect,
  SingleSelectOption,
  Toggle,
  Typography,
} from '@strapi/design-system';
import { Check, Plus, Trash } from '@strapi/icons';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { errorOf, type Template } from '../utils/api';
import { useT } from '../utils/t';

interface Rule {
  uid: string;
  videoField: string;
  targetField: string;
  templateId: string;
  setAsCover: boolean;
}
interface Candidate {
  uid: string;
  displayName: string;
  videoFields: string[];
  targetFields: string[];
}

/**
 * "Auto-thumbnail on publish": when an entry is published, its video field runs a template and the
 * result fills its image field. Rules in force come from config/plugins.ts until saved here.
 */
export function AutoThumbnails({ templates, canWrite }: { templates: Template[]; canWrite: boolean }) {
  const t = useT();
  const { get, put } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [state, setState] = React.useState<'loading' | 'ready' | 'error'>('loading');
  // Each rule on the page gets a key of its own: rules have no id, and removing one must not shift the others.
  const [rules, setRules] = React.useState<Array<Rule & { key: number }>>([]);
  const lastKey = React.useRef(0);
  const keyed = React.useCallback((list: Rule[]) => list.map((r) => ({ ...r, key: ++lastKey.current })), []);
  /** The rules as last loaded or saved, to tell whether the page holds changes. */
  const [stored, setStored] = React.useState('[]');
  const plain = rules.map(({ key: _, ...rule }) => rule);
  const dirty = JSON.stringify(plain) !== stored;
  const [candidates, setCandidates] = React.useState<Candidate[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);

  React.useEffect(() => {
    get<{ data: Rule[]; meta: { candidates: Candidate[] } }>('/dynamic-image/auto-thumbnails')
      .then((r) => {
        setRules(keyed(r.data.data ?? []));
        setStored(JSON.stringify(r.data.data ?? []));
        setCandidates(r.data.meta?.candidates ?? []);
        setState('ready');
      })
      .catch((err) => {
        const e = errorOf(err);
        setError(e.code ? `${e.code}: ${e.message}` : e.message);
        setState('error');
      });
  }, [get, keyed]);

  const change = (index: number, patch: Partial<Rule>) =>
    setRules((list) => list.map((r, i) => (i === index ? { ...r, ...patch } : r)));

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const r = await put<{ data: Rule[] }>('/dynamic-image/auto-thumbnails', { data: plain });
      setRules(keyed(r.data.data ?? plain));
      setStored(JSON.stringify(r.data.data ?? plain));
      toggleNotification({ type: 'success', message: t('auto.saved', 'Auto-thumbnail rules saved') });
    } catch (err) {
      const e = errorOf(err);
      setError(e.code ? `${e.code}: ${e.message}` : e.message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Box
      background="neutral0"
      hasRadius
      shadow="tableShadow"
      padding={6}
      data-testid="auto-thumbnails"
      aria-busy={state === 'loading'}
    >
      <Flex justifyContent="space-between" alignItems="flex-start" paddingBottom={4}>
        <Box>
          <Typography variant="delta" tag="h2">
            {t('auto.title', 'Auto-thumbnail on publish')}
          </Typography>
          <Typography variant="pi" textColor="neutral600" tag="p">
            {t(
              'auto.subtitle',
              'When an entry is published, its video runs a template and the result fills one of its image fields.',
            )}
          </Typography>
        </Box>
        {state === 'ready' && canWrite && (
          <Button startIcon={<Check />} onClick={save} loading={saving} disabled={!dirty}>
            {t('action.save', 'Save')}
          </Button>
        )}
      </Flex>
      {state === 'loading' && (
        <Typography textColor="neutral600">{t('common.loading', 'Loading…')}</Typography>
      )}
      {state === 'ready' && (
        <Flex direction="column" alignItems="stretch" gap={3}>
          {candidates.length === 0 && (
            <Typography textColor="neutral600">
              {t(
                'auto.noCandidates',
                'No content type has both a video field and an image field, so there is nothing to set up.',
              )}
            </Typography>
          )}
          {rules.length === 0 && candidates.length > 0 && (
            <Typography textColor="neutral600">{t('auto.empty', 'No rule yet.')}</Typography>
          )}
          {rules.map((rule, index) => {
            const candidate = candidates.find((c) => c.uid === rule.uid);
            return (
              <Grid.Root
                key={rule.key}
                gap={3}
                background="neutral100"
                padding={3}
                hasRadius
                data-testid="auto-thumbnail-rule"
              >
                <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
                  <Field.Root name={`rule-${index}-uid`}>
                    <Field.Label>{t('auto.contentType', 'Content type')}</Field.Label>
                    <SingleSelect
                      value={rule.uid || undefined}
                      onChange={(v: string | number) =>
                        change(index, { uid: String(v), videoField: '', targetField: '' })
                      }
                      disabled={!canWrite}
                    >
                      {candidates.map((c) => (
                        <SingleSelectOption key={c.uid} value={c.uid}>
                          {c.displayName}
                        </SingleSelectOption>
                      ))}
                    </SingleSelect>
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={2} s={6} direction="column" alignItems="stretch">
                  <Field.Root name={`rule-${index}-video`}>
                    <Field.Label>{t('auto.videoField', 'Video field')}</Field.Label>
                    <SingleSelect
                      value={rule.videoField || undefined}
                      onChange={(v: string | number) => change(index, { videoField: String(v) })}
                      disabled={!canWrite || !candidate}
                    >
                      {(candidate?.videoFields ?? []).map((f) => (
                        <SingleSelectOption key={f} value={f}>
                          {f}
                        </SingleSelectOption>
                      ))}
                    </SingleSelect>
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={2} s={6} direction="column" alignItems="stretch">
                  <Field.Root name={`rule-${index}-target`}>
                    <Field.Label>{t('auto.targetField', 'Image field')}</Field.Label>
                    <SingleSelect
                      value={rule.targetField || undefined}
                      onChange={(v: string | number) => change(index, { targetField: String(v) })}
                      disabled={!canWrite || !candidate}
                    >
                      {(candidate?.targetFields ?? []).map((f) => (
                        <SingleSelectOption key={f} value={f}>
                          {f}
                        </SingleSelectOption>
                      ))}
                    </SingleSelect>
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={3} s={6} direction="column" alignItems="stretch">
                  <Field.Root name={`rule-${index}-template`}>
                    <Field.Label>{t('auto.template', 'Template')}</Field.Label>
                    <SingleSelect
                      value={rule.templateId || undefined}
                      onChange={(v: string | number) => change(index, { templateId: String(v) })}
                      disabled={!canWrite}
                    >
                      {templates.map((tpl) => (
                        <SingleSelectOption key={tpl.templateId} value={tpl.templateId}>
                          {tpl.name}
                        </SingleSelectOption>
                      ))}
                      {/* A role that can't read templates still sees which one the rule runs. */}
                      {rule.templateId && !templates.some((tpl) => tpl.templateId === rule.templateId) && (
                        <SingleSelectOption value={rule.templateId}>{rule.templateId}</SingleSelectOption>
                      )}
                    </SingleSelect>
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={2} s={12} direction="column" alignItems="stretch">
                  <Field.Root name={`rule-${index}-cover`}>
                    <Field.Label>{t('auto.setAsCover', 'Also the cover')}</Field.Label>
                    <Flex gap={2}>
                      <Toggle
                        checked={rule.setAsCover}
                        onLabel={t('common.yes', 'Yes')}
                        offLabel={t('common.no', 'No')}
                        onChange={(e: React.ChangeEvent<HTMLInputElement>) =>
                          change(index, { setAsCover: e.target.checked })
                        }
                        disabled={!canWrite}
                      />
                      {canWrite && (
                        <IconButton
                          label={t('action.remove', 'Remove')}
                          variant="ghost"
                          onClick={() => setRules((list) => list.filter((_, i) => i !== index))}
                        >
                          <Trash />
                        </IconButton>
                      )}
                    </Flex>
                  </Field.Root>
                </Grid.Item>
              </Grid.Root>
            );
          })}
          {canWrite && candidates.length > 0 && (
            <Box>
              <Button
                variant="secondary"
                startIcon={<Plus />}
                onClick={() =>
                  setRules((list) => [
                    ...list,
                    ...keyed([
                      { uid: '', videoField: '', targetField: '', templateId: '', setAsCover: false },
                    ]),
                  ])
                }
              >
                {t('auto.add', 'Add a rule')}
              </Button>
            </Box>
          )}
        </Flex>
      )}
      {(state === 'error' || error) && (
        <Box paddingTop={3}>
          <Typography textColor="danger600">{error}</Typography>
        </Box>
      )}
    </Box>
  );
}
