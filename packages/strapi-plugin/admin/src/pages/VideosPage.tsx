import {
  Badge,
  Box,
  Button,
  Card,
  CardBody,
  CardContent,
  CardHeader,
  CardSubtitle,
  CardTitle,
  Field,
  Flex,
  Grid,
  Link,
  Modal,
  SingleSelect,
  SingleSelectOption,
  Typography,
} from '@strapi/design-system';
import { Play } from '@strapi/icons';
import { Layouts, Page, useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { NavLink } from 'react-router-dom';
import { Pager } from '../components/Pager';
import { Empty, LoadError } from '../components/States';
import { PERMISSIONS } from '../permissions';
import { errorOf, useResource, type Video, type Workflow } from '../utils/api';
import { absoluteUrl, formatBytes } from '../utils/format';
import { useT } from '../utils/t';
import { useCan } from '../utils/useCan';

export function VideosPage() {
  const t = useT();
  const can = useCan();
  const { post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [pageNumber, setPageNumber] = React.useState(1);
  const videos = useResource<{
    videos: Video[];
    pagination: { page: number; pageCount: number; total: number };
  }>(`/dynamic-image/videos?pageSize=24&page=${pageNumber}`, 5000);
  const canRun = can(PERMISSIONS.jobsSubmit) && can(PERMISSIONS.workflowsRead);
  const workflows = useResource<Workflow[]>(canRun ? '/dynamic-image/workflows' : null);
  const [processing, setProcessing] = React.useState<Video | null>(null);
  const [workflowId, setWorkflowId] = React.useState<string | null>(null);

  const run = async () => {
    if (!processing || !workflowId) return;
    try {
      const r = await post<{ data: { jobs: Array<{ created: boolean }> } }>(
        `/dynamic-image/workflows/${workflowId}/jobs`,
        // Asked for by hand: make the images again even if this video already went through these templates.
        { videoId: processing.videoId, force: true },
      );
      const jobs = r.data.data.jobs;
      toggleNotification({
        type: 'success',
        message: t(
          'videos.started',
          '{created, plural, =0 {No new job: this video already went through these templates} one {# job started} other {# jobs started}}',
          { created: jobs.filter((j) => j.created).length },
        ),
      });
      setProcessing(null);
      videos.reload();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    }
  };

  const list = videos.data?.videos ?? [];
  return (
    <Page.Main>
      <Page.Title>{t('videos.title', 'Videos')}</Page.Title>
      <Layouts.Header
        title={t('videos.title', 'Videos')}
        subtitle={t('videos.subtitle', 'The Media Library’s videos, with their dynamic images and cover')}
      />
      <Layouts.Content>
        {videos.loading ? (
          <Page.Loading />
        ) : videos.error && !videos.data ? (
          <LoadError error={videos.error} retry={videos.reload} />
        ) : !list.length ? (
          <Empty content={t('videos.empty', 'The Media Library has no video yet. Upload one to begin.')} />
        ) : (
          <Grid.Root gap={4}>
            {list.map((v) => (
              <Grid.Item key={v.videoId} col={4} s={6} xs={12} direction="column" alignItems="stretch">
                <Card data-testid="video-card" style={{ width: '100%' }}>
                  <CardHeader>
                    <Box
                      width="100%"
                      background="neutral150"
                      style={{ aspectRatio: '16 / 9', position: 'relative' }}
                    >
                      {v.coverUrl ? (
                        <img
                          src={absoluteUrl(v.coverUrl)}
                          alt={t('videos.cover', 'Cover of {name}', { name: v.name })}
                          style={{ width: '100%', height: '100%', objectFit: 'contain' }}
                        />
                      ) : (
                        <video
                          src={absoluteUrl(v.url)}
                          muted
                          preload="metadata"
                          style={{ width: '100%', height: '100%', objectFit: 'contain' }}
                        />
                      )}
                    </Box>
                  </CardHeader>
                  <CardBody>
                    <CardContent width="100%">
                      <Flex justifyContent="space-between" gap={2}>
                        <Box>
                          <CardTitle>{v.name}</CardTitle>
                          <CardSubtitle>
                            {formatBytes(Number(v.size) * 1024)}
                            {v.folder ? ` · ${v.folder.name}` : ''}
                          </CardSubtitle>
                        </Box>
                        <Flex gap={1}>
                          {v.coverUrl && <Badge active>{t('videos.hasCover', 'Cover')}</Badge>}
                          {v.runningJobs > 0 && <Badge>{t('videos.running', 'Processing')}</Badge>}
                        </Flex>
                      </Flex>
                      <Flex gap={2} paddingTop={3} justifyContent="space-between">
                        <Typography variant="pi" textColor="neutral600">
                          {v.dynamicImages.length ? (
                            <Link tag={NavLink} to={`../results?videoId=${v.videoId}`}>
                              {t(
                                'videos.images',
                                '{count, plural, one {# dynamic image} other {# dynamic images}}',
                                {
                                  count: v.dynamicImages.length,
                                },
                              )}
                            </Link>
                          ) : (
                            t('videos.noImages', 'No dynamic image yet')
                          )}
                        </Typography>
                        {canRun && (
                          <Button
                            size="S"
                            variant="secondary"
                            startIcon={<Play />}
                            onClick={() => {
                              setProcessing(v);
                              setWorkflowId(null);
                            }}
                          >
                            {t('videos.process', 'Process with workflow')}
                          </Button>
                        )}
                      </Flex>
                    </CardContent>
                  </CardBody>
                </Card>
              </Grid.Item>
            ))}
          </Grid.Root>
        )}
        {videos.data && (
          <Pager
            page={videos.data.pagination.page}
            pageCount={videos.data.pagination.pageCount}
            total={videos.data.pagination.total}
            onPage={setPageNumber}
          />
        )}
      </Layouts.Content>
      <Modal.Root open={processing !== null} onOpenChange={(open: boolean) => !open && setProcessing(null)}>
        <Modal.Content>
          <Modal.Header>
            <Modal.Title>
              {t('videos.process.title', 'Process {name}', { name: processing?.name ?? '' })}
            </Modal.Title>
          </Modal.Header>
          <Modal.Body>
            <Field.Root name="workflow">
              <Field.Label>{t('upload.workflow', 'Workflow')}</Field.Label>
              <SingleSelect
                placeholder={t('upload.workflow.placeholder', 'Choose a workflow')}
                value={workflowId ?? undefined}
                onChange={(value: string | number) => setWorkflowId(String(value))}
              >
                {(workflows.data ?? [])
                  .filter((w) => w.enabled)
                  .map((w) => (
                    <SingleSelectOption key={w.workflowId} value={w.workflowId}>
                      {w.name}
                    </SingleSelectOption>
                  ))}
              </SingleSelect>
            </Field.Root>
          </Modal.Body>
          <Modal.Footer>
            <Modal.Close>
              <Button variant="tertiary">{t('action.cancel', 'Cancel')}</Button>
            </Modal.Close>
            <Button onClick={run} disabled={!workflowId}>
              {t('videos.process.run', 'Run')}
            </Button>
          </Modal.Footer>
        </Modal.Content>
      </Modal.Root>
    </Page.Main>
  );
}
