import {
  Badge,
  Box,
  Button,
  Field,
  Flex,
  Grid,
  SingleSelect,
  SingleSelectOption,
  Table,
  Tbody,
  Td,
  Th,
  Thead,
  Tr,
  Typography,
} from '@strapi/design-system';
import { ArrowClockwise, Check } from '@strapi/icons';
import { Layouts, Page, useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { AutoThumbnails } from '../components/AutoThumbnails';
import { EventDeliveries } from '../components/EventDeliveries';
import { LoadError } from '../components/States';
import { Webhooks } from '../components/Webhooks';
import { PERMISSIONS } from '../permissions';
import { errorOf, type Folder, type Template, useResource, type Workflow } from '../utils/api';
import { useT } from '../utils/t';
import { useCan } from '../utils/useCan';

interface Settings {
  defaultWorkflow: string | null;
  source: 'settings' | 'config';
  configDefaultWorkflow: string | null;
}
interface Status {
  workers: Array<{
    name: string;
    address: string | null;
    sessions: number;
    connectedSince: string;
    ffmpeg: { version: string; source: string; outdated: boolean } | null;
  }>;
  queue: { queued: number; active: number; deferred: number } | null;
  mode: string;
}

const NONE = '__none__';

export function SettingsPage() {
  const t = useT();
  const can = useCan();
  const { put, del } = useFetchClient();
  const { toggleNotification } = useNotification();
  const settings = useResource<Settings>('/dynamic-image/settings');
  // Only what the role may read: settings.read alone still shows this page.
  const workflows = useResource<Workflow[]>(
    can(PERMISSIONS.workflowsRead) ? '/dynamic-image/workflows' : null,
  );
  const folders = useResource<Folder[]>(can(PERMISSIONS.workflowsRead) ? '/dynamic-image/folders' : null);
  const templates = useResource<Template[]>(
    can(PERMISSIONS.templatesRead) ? '/dynamic-image/templates' : null,
  );
  const status = useResource<Status>(can(PERMISSIONS.jobsRead) ? '/dynamic-image/status' : null, 3000);
  const [choice, setChoice] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);
  const canWriteWorkflows = can(PERMISSIONS.workflowsWrite);
  const canUpdate = can(PERMISSIONS.settingsUpdate);

  const current = settings.data;
  // The setting may hold a name (from config) or an id (saved here); the select works on ids.
  const currentId =
    current?.defaultWorkflow == null
      ? NONE
      : (workflows.data?.find(
          (w) => w.workflowId === current.defaultWorkflow || w.name === current.defaultWorkflow,
        )?.workflowId ?? current.defaultWorkflow);
  const selected = choice ?? currentId;

  const save = async () => {
    setSaving(true);
    try {
      await put('/dynamic-image/settings', { defaultWorkflow: selected === NONE ? null : selected });
      toggleNotification({ type: 'success', message: t('settings.saved', 'Settings saved') });
      setChoice(null);
      settings.reload();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    } finally {
      setSaving(false);
    }
  };
  const reset = async () => {
    try {
      await del('/dynamic-image/settings');
      setChoice(null);
      settings.reload();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    }
  };

  /** Moves a folder to another workflow (or none): its old workflow loses it. */
  const bind = async (folderId: number, workflowId: string) => {
    try {
      for (const w of workflows.data ?? []) {
        const has = w.folders.includes(folderId);
        const wants = w.workflowId === workflowId;
        if (has === wants) continue;
        const next = wants ? [...w.folders, folderId] : w.folders.filter((f) => f !== folderId);
        await put(`/dynamic-image/workflows/${w.workflowId}`, { folders: next });
      }
      toggleNotification({ type: 'success', message: t('settings.bound', 'Folder binding saved') });
      workflows.reload();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    }
  };

  const queue = status.data?.queue;
  return (
    <Page.Main>
      <Page.Title>{t('settings.title', 'Settings')}</Page.Title>
      <Layouts.Header
        title={t('settings.title', 'Settings')}
        subtitle={t('settings.subtitle', 'What runs on plain uploads, and how the workers are doing')}
      />
      <Layouts.Content>
        {settings.error ? (
          <LoadError error={settings.error} retry={settings.reload} />
        ) : (
          <Flex direction="column" alignItems="stretch" gap={6}>
            <Box background="neutral0" hasRadius shadow="tableShadow" padding={6}>
              <Typography variant="delta" tag="h2">
                {t('settings.default.title', 'Default workflow')}
              </Typography>
              <Flex gap={4} alignItems="flex-end" paddingTop={4}>
                <Box flex="1">
                  <Field.Root
                    name="defaultWorkflow"
                    hint={
                      current?.source === 'config'
                        ? t(
                            'settings.default.fromConfig',
                            'From config/plugins.ts ({value}). Saving here overrides it.',
                            { value: current.configDefaultWorkflow ?? t('settings.none', 'none') },
                          )
                        : t(
                            'settings.default.fromSettings',
                            'Saved here; it overrides config/plugins.ts ({value}).',
                            { value: current?.configDefaultWorkflow ?? t('settings.none', 'none') },
                          )
                    }
                  >
                    <Field.Label>
                      {t('settings.default.label', 'Runs on every uploaded video that no folder claims')}
                    </Field.Label>
                    <SingleSelect
                      value={selected}
                      onChange={(v: string | number) => setChoice(String(v))}
                      disabled={!canUpdate}
                    >
                      <SingleSelectOption value={NONE}>
                        {t('settings.default.none', 'None')}
                      </SingleSelectOption>
                      {(workflows.data ?? []).map((w) => (
                        <SingleSelectOption key={w.workflowId} value={w.workflowId}>
                          {w.name}
                          {w.enabled ? '' : ` (${t('workflows.disabled', 'Disabled')})`}
                        </SingleSelectOption>
                      ))}
                      {/* A role that can't read workflows still sees the setting. */}
                      {selected !== NONE && !workflows.data?.some((w) => w.workflowId === selected) && (
                        <SingleSelectOption value={selected}>{selected}</SingleSelectOption>
                      )}
                    </SingleSelect>
                    <Field.Hint />
                  </Field.Root>
                </Box>
                {canUpdate && (
                  <Button
                    startIcon={<Check />}
                    onClick={save}
                    loading={saving}
                    disabled={selected === currentId}
                  >
                    {t('action.save', 'Save')}
                  </Button>
                )}
                {canUpdate && current?.source === 'settings' && (
                  <Button variant="tertiary" startIcon={<ArrowClockwise />} onClick={reset}>
                    {t('settings.default.reset', 'Use the config value')}
                  </Button>
                )}
              </Flex>
            </Box>

            {can(PERMISSIONS.workflowsRead) && (
              <Box background="neutral0" hasRadius shadow="tableShadow" padding={6}>
                <Typography variant="delta" tag="h2">
                  {t('settings.folders.title', 'Folder bindings')}
                </Typography>
                <Typography variant="pi" textColor="neutral600" tag="p">
                  {t(
                    'settings.folders.subtitle',
                    'A video uploaded into a bound folder runs that folder’s workflow.',
                  )}
                </Typography>
                <Box paddingTop={4}>
                  {!folders.data?.length ? (
                    <Typography textColor="neutral600">
                      {t(
                        'settings.folders.none',
                        'The Media Library has no folder yet. Create one there to bind it.',
                      )}
                    </Typography>
                  ) : (
                    <Table colCount={2} rowCount={folders.data.length + 1}>
                      <Thead>
                        <Tr>
                          <Th>
                            <Typography variant="sigma">{t('settings.folders.folder', 'Folder')}</Typography>
                          </Th>
                          <Th>
                            <Typography variant="sigma">{t('upload.workflow', 'Workflow')}</Typography>
                          </Th>
                        </Tr>
                      </Thead>
                      <Tbody>
                        {folders.data.map((f) => {
                          const owner = workflows.data?.find((w) => w.folders.includes(f.id));
                          return (
                            <Tr key={f.id}>
                              <Td>
                                <Typography>{f.label}</Typography>
                              </Td>
                              <Td>
                                <Box width="24rem">
                                  <SingleSelect
                                    aria-label={t('upload.workflow', 'Workflow')}
                                    value={owner?.workflowId ?? NONE}
                                    onChange={(v: string | number) => bind(f.id, String(v))}
                                    disabled={!canWriteWorkflows}
                                  >
                                    <SingleSelectOption value={NONE}>
                                      {t('settings.default.none', 'None')}
                                    </SingleSelectOption>
                                    {(workflows.data ?? []).map((w) => (
                                      <SingleSelectOption key={w.workflowId} value={w.workflowId}>
                                        {w.name}
                                      </SingleSelectOption>
                                    ))}
                                  </SingleSelect>
                                </Box>
                              </Td>
                            </Tr>
                          );
                        })}
                      </Tbody>
                    </Table>
                  )}
                </Box>
              </Box>
            )}

            {can(PERMISSIONS.jobsRead) && (
              <Box
                background="neutral0"
                hasRadius
                shadow="tableShadow"
                padding={6}
                data-testid="worker-status"
              >
                <Flex justifyContent="space-between">
                  <Typography variant="delta" tag="h2">
                    {t('settings.status.title', 'Workers')}
                  </Typography>
                  <Badge>
                    {t(`settings.status.mode.${status.data?.mode ?? 'embedded'}`, status.data?.mode ?? '')}
                  </Badge>
                </Flex>
                <Typography variant="pi" textColor="neutral600" tag="p">
                  {t(
                    'settings.status.subtitle',
                    'A worker counts as connected while it holds a session to this database. Refreshed every 3 s.',
                  )}
                </Typography>
                <Grid.Root gap={4} paddingTop={4}>
                  {(
                    [
                      [
                        'workers',
                        t('settings.status.workers', 'Connected workers'),
                        status.data?.workers.length,
                      ],
                      ['queued', t('settings.status.queued', 'Waiting'), queue?.queued],
                      ['active', t('settings.status.active', 'Running'), queue?.active],
                      ['deferred', t('settings.status.deferred', 'Retrying later'), queue?.deferred],
                    ] as const
                  ).map(([key, label, value]) => (
                    <Grid.Item key={key} col={3} s={6} direction="column" alignItems="stretch">
                      <Box background="neutral100" hasRadius padding={4}>
                        <Typography variant="pi" textColor="neutral600" tag="p">
                          {label}
                        </Typography>
                        <Typography variant="alpha" data-testid={`status-${key}`}>
                          {value ?? '—'}
                        </Typography>
                      </Box>
                    </Grid.Item>
                  ))}
                </Grid.Root>
                {status.data && status.data.workers.length === 0 && (
                  <Box paddingTop={3}>
                    <Typography textColor="warning600">
                      {t(
                        'settings.status.noWorker',
                        'No worker is connected: jobs wait in the queue until one starts (see the README: worker modes).',
                      )}
                    </Typography>
                  </Box>
                )}
                {status.data && status.data.workers.length > 0 && (
                  <Box paddingTop={3}>
                    {status.data.workers.map((w) => (
                      <Typography key={w.name} tag="p" variant="pi" textColor="neutral700">
                        {w.name}
                        {w.address ? ` · ${w.address}` : ''} ·{' '}
                        {t('settings.status.since', 'connected since {time}', {
                          time: new Date(w.connectedSince).toLocaleTimeString(),
                        })}
                        {w.ffmpeg && (
                          <Typography
                            variant="pi"
                            textColor={w.ffmpeg.outdated ? 'warning600' : 'neutral700'}
                            data-testid="worker-ffmpeg"
                          >
                            {' · '}
                            {w.ffmpeg.outdated
                              ? t(
                                  'settings.status.ffmpegOutdated',
                                  'ffmpeg {version} from npm (2018, no security fixes): install the system ffmpeg or set FFMPEG_PATH',
                                  { version: w.ffmpeg.version },
                                )
                              : t('settings.status.ffmpeg', 'ffmpeg {version} ({source})', w.ffmpeg)}
                          </Typography>
                        )}
                      </Typography>
                    ))}
                  </Box>
                )}
              </Box>
            )}

            <AutoThumbnails templates={templates.data ?? []} canWrite={canUpdate} />
            {/* The server also requires Strapi's webhooks permissions on these routes. */}
            {can(PERMISSIONS.webhooksRead) && (
              <>
                <Webhooks canWrite={canUpdate && can(PERMISSIONS.webhooksUpdate)} />
                <EventDeliveries canWrite={canUpdate && can(PERMISSIONS.webhooksUpdate)} />
              </>
            )}
          </Flex>
        )}
      </Layouts.Content>
    </Page.Main>
  );
}
