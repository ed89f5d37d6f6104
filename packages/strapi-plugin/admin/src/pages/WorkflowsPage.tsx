import {
  Button,
  Flex,
  IconButton,
  Link,
  Status,
  Table,
  Tbody,
  Td,
  Th,
  Thead,
  Tr,
  Typography,
  VisuallyHidden,
} from '@strapi/design-system';
import { Pencil, Plus, Trash } from '@strapi/icons';
import { Layouts, Page, useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { NavLink, useNavigate } from 'react-router-dom';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Empty, LoadError } from '../components/States';
import { PERMISSIONS } from '../permissions';
import { errorOf, type Folder, type Template, useResource, type Workflow } from '../utils/api';
import { useT } from '../utils/t';
import { useCan } from '../utils/useCan';

export function WorkflowsPage() {
  const t = useT();
  const can = useCan();
  const navigate = useNavigate();
  const { del } = useFetchClient();
  const { toggleNotification } = useNotification();
  const workflows = useResource<Workflow[]>('/dynamic-image/workflows');
  const templates = useResource<Template[]>(
    can(PERMISSIONS.templatesRead) ? '/dynamic-image/templates' : null,
  );
  const folders = useResource<Folder[]>('/dynamic-image/folders');
  const [deleting, setDeleting] = React.useState<Workflow | null>(null);
  const canWrite = can(PERMISSIONS.workflowsWrite);
  const templateName = (id: string) => templates.data?.find((x) => x.templateId === id)?.name ?? id;
  const folderName = (id: number) => folders.data?.find((f) => f.id === id)?.label ?? `#${id}`;

  const remove = async (workflow: Workflow) => {
    try {
      await del(`/dynamic-image/workflows/${workflow.workflowId}`);
      toggleNotification({ type: 'success', message: t('workflows.deleted', 'Workflow deleted') });
      workflows.reload();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    }
    setDeleting(null);
  };

  const data = workflows.data;
  return (
    <Page.Main>
      <Page.Title>{t('workflows.title', 'Workflows')}</Page.Title>
      <Layouts.Header
        title={t('workflows.title', 'Workflows')}
        subtitle={t(
          'workflows.subtitle',
          'Templates run together on a video, by hand, on upload or in a folder',
        )}
        primaryAction={
          canWrite ? (
            <Button startIcon={<Plus />} onClick={() => navigate('new')}>
              {t('workflows.create', 'Create workflow')}
            </Button>
          ) : undefined
        }
      />
      <Layouts.Content>
        {workflows.loading ? (
          <Page.Loading />
        ) : workflows.error ? (
          <LoadError error={workflows.error} retry={workflows.reload} />
        ) : !data?.length ? (
          <Empty
            content={t(
              'workflows.empty',
              'No workflow yet. A workflow runs one or more templates on each video it is given.',
            )}
            action={
              canWrite ? (
                <Button variant="secondary" startIcon={<Plus />} onClick={() => navigate('new')}>
                  {t('workflows.create', 'Create workflow')}
                </Button>
              ) : undefined
            }
          />
        ) : (
          <Table colCount={5} rowCount={data.length + 1}>
            <Thead>
              <Tr>
                <Th>
                  <Typography variant="sigma">{t('workflows.col.name', 'Name')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">
                    {t('workflows.col.templates', 'Templates, in order')}
                  </Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('workflows.col.folders', 'Bound folders')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('workflows.col.state', 'State')}</Typography>
                </Th>
                <Th>
                  <VisuallyHidden>{t('common.actions', 'Actions')}</VisuallyHidden>
                </Th>
              </Tr>
            </Thead>
            <Tbody>
              {data.map((w) => (
                <Tr key={w.workflowId}>
                  <Td>
                    <Typography fontWeight="bold">
                      <Link tag={NavLink} to={w.workflowId}>
                        {w.name}
                      </Link>
                    </Typography>
                  </Td>
                  <Td>
                    <Typography>{w.nodes.map((n) => templateName(n.templateId)).join(' → ')}</Typography>
                  </Td>
                  <Td>
                    <Typography textColor={w.folders.length ? 'neutral800' : 'neutral500'}>
                      {w.folders.length
                        ? w.folders.map(folderName).join(', ')
                        : t('workflows.noFolder', 'None')}
                    </Typography>
                  </Td>
                  <Td>
                    <Status variant={w.enabled ? 'success' : 'neutral'} size="S">
                      <Typography>
                        {w.enabled ? t('workflows.enabled', 'Enabled') : t('workflows.disabled', 'Disabled')}
                      </Typography>
                    </Status>
                  </Td>
                  <Td>
                    <Flex gap={1} justifyContent="flex-end">
                      <IconButton
                        label={t('action.edit', 'Edit')}
                        variant="ghost"
                        onClick={() => navigate(w.workflowId)}
                      >
                        <Pencil />
                      </IconButton>
                      {canWrite && (
                        <IconButton
                          label={t('action.delete', 'Delete')}
                          variant="ghost"
                          onClick={() => setDeleting(w)}
                        >
                          <Trash />
                        </IconButton>
                      )}
                    </Flex>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </Layouts.Content>
      <ConfirmDelete
        target={deleting}
        onClose={() => setDeleting(null)}
        onConfirm={remove}
        title={t('workflows.delete.title', 'Delete this workflow?')}
        body={t(
          'workflows.delete.body',
          'Its jobs and dynamic images stay. Uploads to its folders stop running it.',
        )}
      />
    </Page.Main>
  );
}
