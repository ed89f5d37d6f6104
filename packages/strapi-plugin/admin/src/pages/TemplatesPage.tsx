import { formatTime } from '@dynamic-image/core';
import {
  Button,
  Flex,
  IconButton,
  Link,
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
import { errorOf, type Template, useResource } from '../utils/api';
import { useT } from '../utils/t';
import { useCan } from '../utils/useCan';

export function TemplatesPage() {
  const t = useT();
  const can = useCan();
  const navigate = useNavigate();
  const { del } = useFetchClient();
  const { toggleNotification } = useNotification();
  const { data, error, loading, reload } = useResource<Template[]>('/dynamic-image/templates');
  const [deleting, setDeleting] = React.useState<Template | null>(null);
  const canWrite = can(PERMISSIONS.templatesWrite);

  const remove = async (template: Template) => {
    try {
      await del(`/dynamic-image/templates/${template.templateId}`);
      toggleNotification({ type: 'success', message: t('templates.deleted', 'Template deleted') });
      reload();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    }
    setDeleting(null);
  };

  const size = (tpl: Template) =>
    tpl.width && tpl.height
      ? `${tpl.width} × ${tpl.height}`
      : tpl.width
        ? t('templates.size.width', '{width} wide, height follows', { width: tpl.width })
        : tpl.height
          ? t('templates.size.height', '{height} high, width follows', { height: tpl.height })
          : t('templates.size.source', 'Source size');
  const window = (tpl: Template) =>
    tpl.start === 'auto'
      ? t('templates.window.auto', '{duration} s, the most active', { duration: tpl.duration ?? 0 })
      : tpl.captureMethod === 'byDuration'
        ? t('templates.window.byDuration', '{duration} s from {start}', {
            duration: tpl.duration ?? 0,
            start: formatTime(tpl.start ?? 0),
          })
        : t('templates.window.trim', 'From {start}, {trimEnd} s trimmed at the end', {
            start: formatTime(tpl.start ?? 0),
            trimEnd: tpl.trimEnd ?? 0,
          });

  return (
    <Page.Main>
      <Page.Title>{t('templates.title', 'Templates')}</Page.Title>
      <Layouts.Header
        title={t('templates.title', 'Templates')}
        subtitle={t(
          'templates.subtitle',
          'How a video becomes an animated image: format, rate, size and window',
        )}
        primaryAction={
          canWrite ? (
            <Button startIcon={<Plus />} onClick={() => navigate('new')}>
              {t('templates.create', 'Create template')}
            </Button>
          ) : undefined
        }
      />
      <Layouts.Content>
        {loading ? (
          <Page.Loading />
        ) : error ? (
          <LoadError error={error} retry={reload} />
        ) : !data?.length ? (
          <Empty
            content={t(
              'templates.empty',
              'No template yet. A template says how to cut a GIF or WebP from a video.',
            )}
            action={
              canWrite ? (
                <Button variant="secondary" startIcon={<Plus />} onClick={() => navigate('new')}>
                  {t('templates.create', 'Create template')}
                </Button>
              ) : undefined
            }
          />
        ) : (
          <Table colCount={7} rowCount={data.length + 1}>
            <Thead>
              <Tr>
                <Th>
                  <Typography variant="sigma">{t('templates.col.name', 'Name')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('templates.col.format', 'Format')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('templates.col.fps', 'Frame rate')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('templates.col.size', 'Size')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('templates.col.window', 'Capture window')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('templates.col.id', 'Template id')}</Typography>
                </Th>
                <Th>
                  <VisuallyHidden>{t('common.actions', 'Actions')}</VisuallyHidden>
                </Th>
              </Tr>
            </Thead>
            <Tbody>
              {data.map((tpl) => (
                <Tr key={tpl.templateId}>
                  <Td>
                    <Typography fontWeight="bold">
                      <Link tag={NavLink} to={tpl.templateId}>
                        {tpl.name}
                      </Link>
                    </Typography>
                  </Td>
                  <Td>
                    <Typography>{tpl.format.toUpperCase()}</Typography>
                  </Td>
                  <Td>
                    <Typography>{t('common.fps', '{fps} fps', { fps: tpl.fps })}</Typography>
                  </Td>
                  <Td>
                    <Typography>{size(tpl)}</Typography>
                  </Td>
                  <Td>
                    <Typography>{window(tpl)}</Typography>
                  </Td>
                  <Td>
                    <Typography variant="pi" textColor="neutral600">
                      {tpl.templateId}
                    </Typography>
                  </Td>
                  <Td>
                    <Flex gap={1} justifyContent="flex-end">
                      <IconButton
                        label={t('action.edit', 'Edit')}
                        variant="ghost"
                        onClick={() => navigate(tpl.templateId)}
                      >
                        <Pencil />
                      </IconButton>
                      {canWrite && (
                        <IconButton
                          label={t('action.delete', 'Delete')}
                          variant="ghost"
                          onClick={() => setDeleting(tpl)}
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
        title={t('templates.delete.title', 'Delete this template?')}
        body={t(
          'templates.delete.body',
          'Dynamic images already made stay. A template used by a workflow cannot be deleted.',
        )}
      />
    </Page.Main>
  );
}
