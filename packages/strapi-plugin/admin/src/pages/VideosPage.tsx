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
  Flex,
  Grid,
  Link,
  Typography,
} from '@strapi/design-system';
import { Magic, Play } from '@strapi/icons';
import { Layouts, Page } from '@strapi/strapi/admin';
import * as React from 'react';
import { NavLink } from 'react-router-dom';
import { MakeDynamicImage } from '../components/MakeDynamicImage';
import { Pager } from '../components/Pager';
import { ProcessVideo } from '../components/ProcessVideo';
import { Empty, LoadError } from '../components/States';
import { PERMISSIONS } from '../permissions';
import { type Template, useResource, type Video, type VideoList, type Workflow } from '../utils/api';
import { absoluteUrl, formatBytes } from '../utils/format';
import { useT } from '../utils/t';
import { useCan } from '../utils/useCan';

/** A label kept whole: at any width a button wraps between buttons, never inside its own words. */
const WHOLE = { whiteSpace: 'nowrap' } as const;

export function VideosPage() {
  const t = useT();
  const can = useCan();
  const [pageNumber, setPageNumber] = React.useState(1);
  const videos = useResource<VideoList>(`/dynamic-image/videos?pageSize=24&page=${pageNumber}`, 5000);
  const canRun = can(PERMISSIONS.jobsSubmit) && can(PERMISSIONS.workflowsRead);
  const canMake = can(PERMISSIONS.jobsSubmit) && can(PERMISSIONS.templatesRead);
  const workflows = useResource<Workflow[]>(canRun ? '/dynamic-image/workflows' : null);
  const templates = useResource<Template[]>(
    can(PERMISSIONS.templatesRead) ? '/dynamic-image/templates' : null,
  );
  const templateName = (id: string) => templates.data?.find((x) => x.templateId === id)?.name ?? id;
  const [processing, setProcessing] = React.useState<Video | null>(null);
  const [making, setMaking] = React.useState<Video | null>(null);

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
                <Card data-testid="video-card" style={{ width: '100%', height: '100%' }}>
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
                    <CardContent width="100%" style={{ minWidth: 0 }}>
                      <Flex justifyContent="space-between" alignItems="flex-start" gap={2}>
                        <Box style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
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
                      <Flex direction="column" alignItems="flex-start" gap={1} paddingTop={3}>
                        {v.dynamicImages.length > 0 && (
                          <Typography variant="pi">
                            <Link tag={NavLink} to={`../results?videoId=${v.videoId}`}>
                              {t(
                                'videos.images',
                                '{count, plural, one {# dynamic image} other {# dynamic images}}',
                                { count: v.dynamicImages.length },
                              )}
                            </Link>
                          </Typography>
                        )}
                        {v.failedJobs.length > 0 && (
                          <Flex data-testid="video-failures" direction="column" alignItems="flex-start">
                            {v.failedJobs.map((f) => (
                              <Typography
                                key={f.jobId}
                                variant="pi"
                                textColor="danger600"
                                title={f.errorMessage ?? undefined}
                                style={{ overflowWrap: 'anywhere' }}
                              >
                                {t('videos.failed', '{template} failed: {code}', {
                                  template: templateName(f.templateId),
                                  code: f.errorCode ?? '—',
                                })}
                              </Typography>
                            ))}
                          </Flex>
                        )}
                        {v.dynamicImages.length === 0 && v.failedJobs.length === 0 && (
                          <Typography variant="pi" textColor="neutral600">
                            {t('videos.noImages', 'No dynamic image yet')}
                          </Typography>
                        )}
                      </Flex>
                      {(canRun || canMake) && (
                        <Flex gap={2} paddingTop={3} wrap="wrap">
                          {canRun && (
                            <Button
                              size="S"
                              variant="secondary"
                              startIcon={<Play />}
                              style={WHOLE}
                              onClick={() => setProcessing(v)}
                            >
                              {t('videos.process', 'Process with workflow')}
                            </Button>
                          )}
                          {canMake && (
                            <Button
                              size="S"
                              variant="tertiary"
                              startIcon={<Magic />}
                              style={WHOLE}
                              onClick={() => setMaking(v)}
                            >
                              {t('videos.make', 'Make dynamic image')}
                            </Button>
                          )}
                        </Flex>
                      )}
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
      <ProcessVideo
        video={processing}
        workflows={workflows.data ?? []}
        onClose={() => setProcessing(null)}
        onDone={() => {
          setProcessing(null);
          videos.reload();
        }}
      />
      <MakeDynamicImage
        video={making}
        templates={templates.data ?? []}
        onClose={() => setMaking(null)}
        onDone={() => {
          setMaking(null);
          videos.reload();
        }}
      />
    </Page.Main>
  );
}
