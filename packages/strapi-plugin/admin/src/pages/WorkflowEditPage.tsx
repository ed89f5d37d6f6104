import type { ValidationIssue } from '@dynamic-image/core';
import {
  Box,
  Button,
  Field,
  Flex,
  Grid,
  IconButton,
  MultiSelect,
  MultiSelectOption,
  SingleSelect,
  SingleSelectOption,
  TextInput,
  Toggle,
  Typography,
} from '@strapi/design-system';
import { ArrowDown, ArrowUp, Check, Plus, Trash } from '@strapi/icons';
import { BackButton, Layouts, Page, useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { LoadError } from '../components/States';
import { PERMISSIONS } from '../permissions';
import { errorOf, type Folder, type Template, useResource, type Workflow } from '../utils/api';
import { useIssueMessage } from '../utils/issues';
import { useT } from '../utils/t';
import { useCan } from '../utils/useCan';

export function WorkflowEditPage() {
  const t = useT();
  const can = useCan();
  const { workflowId = 'new' } = useParams();
  const isNew = workflowId === 'new';
  const navigate = useNavigate();
  const { get, post, put } = useFetchClient();
  const { toggleNotification } = useNotification();
  const issueMessage = useIssueMessage();
  const templates = useResource<Template[]>('/dynamic-image/templates');
  const folders = useResource<Folder[]>('/dynamic-image/folders');
  const [name, setName] = React.useState('');
  const [enabled, setEnabled] = React.useState(true);
  const [nodes, setNodes] = React.useState<string[]>([]);
  const [bound, setBound] = React.useState<number[]>([]);
  const [adding, setAdding] = React.useState<string | null>(null);
  const [loaded, setLoaded] = React.useState(isNew);
  const [loadError, setLoadError] = React.useState<ReturnType<typeof errorOf> | null>(null);
  const [fieldError, setFieldError] = React.useState<{ field: string; message: string } | null>(null);
  const [saving, setSaving] = React.useState(false);
  const canWrite = can(PERMISSIONS.workflowsWrite);

  React.useEffect(() => {
    if (isNew) return;
    get<{ data: Workflow }>(`/dynamic-image/workflows/${workflowId}`)
      .then((r) => {
        const w = r.data.data;
        setName(w.name);
        setEnabled(w.enabled);
        setNodes(w.nodes.map((n) => n.templateId));
        setBound(w.folders);
        setLoaded(true);
      })
      .catch((err) => setLoadError(errorOf(err)));
  }, [get, isNew, workflowId]);

  const move = (index: number, by: -1 | 1) =>
    setNodes((list) => {
      const next = [...list];
      const [item] = next.splice(index, 1);
      next.splice(index + by, 0, item as string);
      return next;
    });

  // The same limits as the server's workflow schema; the server's answer is shown at its field too.
  const local =
    name.trim() === ''
      ? { field: 'name', message: t('workflows.error.name', 'name is required') }
      : nodes.length === 0
        ? { field: 'nodes', message: t('workflows.error.nodes', 'nodes: add at least one template') }
        : null;
  const [submitted, setSubmitted] = React.useState(false);
  const shown = fieldError ?? (submitted ? local : null);

  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (local) return;
    setSaving(true);
    const body = { name, enabled, nodes: nodes.map((templateId) => ({ templateId })), folders: bound };
    try {
      if (isNew) {
        const r = await post<{ data: Workflow }>('/dynamic-image/workflows', body);
        toggleNotification({ type: 'success', message: t('workflows.created', 'Workflow created') });
        navigate(`../workflows/${r.data.data.workflowId}`, { replace: true });
      } else {
        await put(`/dynamic-image/workflows/${workflowId}`, body);
        toggleNotification({ type: 'success', message: t('workflows.saved', 'Workflow saved') });
      }
      setFieldError(null);
    } catch (err) {
      const e = errorOf(err);
      const field = e.code?.startsWith('InvalidParameter.') ? e.code.slice(17).toLowerCase() : 'nodes';
      // Core's issues, in the admin's language (the same ids as a template's).
      const issues = (e.details as { issues?: ValidationIssue[] } | undefined)?.issues;
      const message = issues?.length ? issues.map(issueMessage).join('; ') : e.message;
      setFieldError({ field: field.startsWith('nodes') ? 'nodes' : field, message });
      toggleNotification({ type: 'danger', message });
    } finally {
      setSaving(false);
    }
  };

  if (loadError)
    return (
      <Page.Main>
        <Layouts.Header title={t('workflows.edit', 'Edit workflow')} navigationAction={<BackButton />} />
        <Layouts.Content>
          <LoadError error={loadError} />
        </Layouts.Content>
      </Page.Main>
    );
  if (!loaded) return <Page.Loading />;

  const templateName = (id: string) => templates.data?.find((x) => x.templateId === id)?.name ?? id;
  return (
    <Page.Main>
      <Page.Title>{isNew ? t('workflows.new', 'New workflow') : name}</Page.Title>
      <form onSubmit={save} noValidate>
        <Layouts.Header
          navigationAction={<BackButton fallback="../workflows" />}
          title={isNew ? t('workflows.new', 'New workflow') : t('workflows.edit', 'Edit workflow')}
          subtitle={isNew ? undefined : workflowId}
          primaryAction={
            canWrite ? (
              <Button type="submit" startIcon={<Check />} loading={saving}>
                {t('action.save', 'Save')}
              </Button>
            ) : undefined
          }
        />
        <Layouts.Content>
          <Box background="neutral0" hasRadius shadow="tableShadow" padding={6}>
            <Grid.Root gap={5}>
              <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
                <Field.Root name="name" required error={shown?.field === 'name' ? shown.message : undefined}>
                  <Field.Label>{t('field.name', 'Name')}</Field.Label>
                  <TextInput
                    value={name}
                    onChange={(e: React.ChangeEvent<HTMLInputElement>) => {
                      setName(e.target.value);
                      setFieldError(null);
                    }}
                    disabled={!canWrite}
                  />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
                <Field.Root
                  name="enabled"
                  hint={t('workflows.enabled.hint', 'A disabled workflow runs on nothing')}
                >
                  <Field.Label>{t('workflows.col.state', 'State')}</Field.Label>
                  <Toggle
                    checked={enabled}
                    onLabel={t('workflows.enabled', 'Enabled')}
                    offLabel={t('workflows.disabled', 'Disabled')}
                    onChange={(e: React.ChangeEvent<HTMLInputElement>) => setEnabled(e.target.checked)}
                    disabled={!canWrite}
                  />
                  <Field.Hint />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={12} direction="column" alignItems="stretch">
                <Field.Root name="nodes" error={shown?.field === 'nodes' ? shown.message : undefined}>
                  <Field.Label>{t('workflows.nodes', 'Templates, run in this order')}</Field.Label>
                  <Flex direction="column" alignItems="stretch" gap={2} paddingBottom={2}>
                    {nodes.length === 0 && (
                      <Typography textColor="neutral500" variant="pi">
                        {t('workflows.nodes.empty', 'No template yet: add one below.')}
                      </Typography>
                    )}
                    {nodes.map((id, index) => (
                      <Flex
                        // biome-ignore lint/suspicious/noArrayIndexKey: the same template may appear twice.
                        key={`${id}-${index}`}
                        background="neutral100"
                        hasRadius
                        padding={3}
                        gap={3}
                        data-testid="workflow-node"
                      >
                        <Typography variant="omega" fontWeight="bold" textColor="neutral600">
                          {index + 1}.
                        </Typography>
                        <Box flex="1">
                          <Typography>{templateName(id)}</Typography>
                        </Box>
                        {canWrite && (
                          <>
                            <IconButton
                              label={t('workflows.up', 'Move up')}
                              variant="ghost"
                              disabled={index === 0}
                              onClick={() => move(index, -1)}
                            >
                              <ArrowUp />
                            </IconButton>
                            <IconButton
                              label={t('workflows.down', 'Move down')}
                              variant="ghost"
                              disabled={index === nodes.length - 1}
                              onClick={() => move(index, 1)}
                            >
                              <ArrowDown />
                            </IconButton>
                            <IconButton
                              label={t('action.remove', 'Remove')}
                              variant="ghost"
                              onClick={() => setNodes((list) => list.filter((_, i) => i !== index))}
                            >
                              <Trash />
                            </IconButton>
                          </>
                        )}
                      </Flex>
                    ))}
                  </Flex>
                  <Field.Error />
                </Field.Root>
                {canWrite && (
                  <Flex gap={2} alignItems="flex-end">
                    <Box flex="1">
                      <Field.Root name="addTemplate">
                        <Field.Label>{t('workflows.add', 'Add a template')}</Field.Label>
                        <SingleSelect
                          placeholder={
                            templates.data?.length
                              ? t('workflows.add.placeholder', 'Choose a template')
                              : t('workflows.add.none', 'Create a template first')
                          }
                          value={adding ?? undefined}
                          onChange={(v: string | number) => setAdding(String(v))}
                          disabled={!templates.data?.length}
                        >
                          {(templates.data ?? []).map((tpl) => (
                            <SingleSelectOption key={tpl.templateId} value={tpl.templateId}>
                              {tpl.name} ({tpl.format.toUpperCase()}, {tpl.fps} fps)
                            </SingleSelectOption>
                          ))}
                        </SingleSelect>
                      </Field.Root>
                    </Box>
                    <Button
                      variant="secondary"
                      startIcon={<Plus />}
                      disabled={!adding}
                      onClick={() => {
                        if (adding) setNodes((list) => [...list, adding]);
                        setAdding(null);
                        setFieldError(null);
                      }}
                    >
                      {t('workflows.add.button', 'Add')}
                    </Button>
                  </Flex>
                )}
              </Grid.Item>
              <Grid.Item col={12} direction="column" alignItems="stretch">
                <Field.Root
                  name="folders"
                  hint={t(
                    'workflows.folders.hint',
                    'A video uploaded to one of these Media Library folders runs this workflow',
                  )}
                >
                  <Field.Label>{t('workflows.col.folders', 'Bound folders')}</Field.Label>
                  <MultiSelect
                    withTags
                    placeholder={
                      folders.data?.length
                        ? t('workflows.folders.placeholder', 'No folder')
                        : t('workflows.folders.none', 'The Media Library has no folder yet')
                    }
                    value={bound.map(String)}
                    onChange={(v: string[]) => setBound(v.map(Number))}
                    disabled={!canWrite || !folders.data?.length}
                  >
                    {(folders.data ?? []).map((f) => (
                      <MultiSelectOption key={f.id} value={String(f.id)}>
                        {f.label}
                      </MultiSelectOption>
                    ))}
                  </MultiSelect>
                  <Field.Hint />
                </Field.Root>
              </Grid.Item>
            </Grid.Root>
          </Box>
        </Layouts.Content>
      </form>
    </Page.Main>
  );
}
