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
  IconButton,
} from '@strapi/design-system';
import { Duplicate, Star, Trash } from '@strapi/icons';
import { Layouts, Page, useClipboard, useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { useSearchParams } from 'react-router-dom';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Pager } from '../components/Pager';
import { Empty, LoadError } from '../components/States';
import { PERMISSIONS } from '../permissions';
import { type DynamicImage, errorOf, useResource } from '../utils/api';
import { absoluteUrl, formatBytes } from '../utils/format';
import { useT } from '../utils/t';
import { useCan } from '../utils/useCan';

export function ResultsPage() {
  const t = useT();
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const only = params.get('videoId');
  const { post, del } = useFetchClient();
  const { copy } = useClipboard();
  const { toggleNotification } = useNotification();
  const [pageNumber, setPageNumber] = React.useState(1);
  const gallery = useResource<{
    dynamicImages: Array<DynamicImage & { videoName: string | null }>;
    pagination: { page: number; pageCount: number; total: number };
  }>(`/dynamic-image/dynamic-images?pageSize=24&page=${pageNumber}${only ? `&videoId=${only}` : ''}`, 5000);
  const [deleting, setDeleting] = React.useState<DynamicImage | null>(null);
  const canWrite = can(PERMISSIONS.imagesWrite);

  const items = (gallery.data?.dynamicImages ?? []).map((image) => ({
    image,
    video: { name: image.videoName ?? `#${image.videoId}` },
  }));

  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      toggleNotification({ type: 'success', message: done });
      gallery.reload();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    }
  };

  return (
    <Page.Main>
      <Page.Title>{t('results.title', 'Results')}</Page.Title>
      <Layouts.Header
        title={t('results.title', 'Results')}
        subtitle={t('results.subtitle', 'Every dynamic image, playing')}
        secondaryAction={
          only ? (
            <Button
              variant="tertiary"
              onClick={() => {
                setParams({});
                setPageNumber(1);
              }}
            >
              {t('results.all', 'Show all videos')}
            </Button>
          ) : undefined
        }
      />
      <Layouts.Content>
        {gallery.loading ? (
          <Page.Loading />
        ) : gallery.error && !gallery.data ? (
          <LoadError error={gallery.error} retry={gallery.reload} />
        ) : !items.length ? (
          <Empty
            content={t('results.empty', 'No dynamic image yet. They appear here as soon as a job succeeds.')}
          />
        ) : (
          <Grid.Root gap={4}>
            {items.map(({ image, video }) => (
              <Grid.Item
                key={image.dynamicImageId}
                col={4}
                s={6}
                xs={12}
                direction="column"
                alignItems="stretch"
              >
                <Card data-testid="result-card" data-id={image.dynamicImageId} style={{ width: '100%' }}>
                  <CardHeader>
                    <Flex
                      width="100%"
                      justifyContent="center"
                      background="neutral150"
                      style={{ aspectRatio: '16 / 9' }}
                    >
                      <img
                        data-testid="result-image"
                        src={absoluteUrl(image.url)}
                        alt={t('results.alt', 'Dynamic image of {name}', { name: video.name })}
                        style={{ maxWidth: '100%', maxHeight: '100%' }}
                      />
                    </Flex>
                  </CardHeader>
                  <CardBody>
                    <CardContent width="100%">
                      <Flex justifyContent="space-between" alignItems="flex-start">
                        <Box>
                          <CardTitle>{video.name}</CardTitle>
                          <CardSubtitle>
                            {image.format.toUpperCase()} · {image.width} × {image.height} ·{' '}
                            {t('common.fps', '{fps} fps', { fps: image.fps })} · {image.duration.toFixed(2)} s
                            · {formatBytes(image.size)}
                          </CardSubtitle>
                        </Box>
                        {image.isCover && (
                          <Badge active data-testid="cover-badge">
                            {t('videos.hasCover', 'Cover')}
                          </Badge>
                        )}
                      </Flex>
                      <Flex gap={2} paddingTop={3} wrap="wrap">
                        <Button
                          size="S"
                          variant="tertiary"
                          startIcon={<Duplicate />}
                          onClick={async () => {
                            const ok = await copy(absoluteUrl(image.url));
                            if (ok)
                              toggleNotification({
                                type: 'success',
                                message: t('results.copied', 'URL copied'),
                              });
                          }}
                        >
                          {t('results.copy', 'Copy URL')}
                        </Button>
                        {canWrite && (
                          <Button
                            size="S"
                            variant="secondary"
                            startIcon={<Star />}
                            disabled={image.isCover}
                            onClick={() =>
                              act(
                                () => post(`/dynamic-image/dynamic-images/${image.dynamicImageId}/cover`, {}),
                                t('results.coverSet', 'Now the video’s cover'),
                              )
                            }
                          >
                            {t('results.setCover', 'Set as cover')}
                          </Button>
                        )}
                        {canWrite && (
                          <IconButton
                            label={t('action.delete', 'Delete')}
                            variant="ghost"
                            onClick={() => setDeleting(image)}
                          >
                            <Trash />
                          </IconButton>
                        )}
                      </Flex>
                    </CardContent>
                  </CardBody>
                </Card>
              </Grid.Item>
            ))}
          </Grid.Root>
        )}
        {gallery.data && (
          <Pager
            page={gallery.data.pagination.page}
            pageCount={gallery.data.pagination.pageCount}
            total={gallery.data.pagination.total}
            onPage={setPageNumber}
          />
        )}
      </Layouts.Content>
      <ConfirmDelete
        target={deleting}
        onClose={() => setDeleting(null)}
        onConfirm={(target) => {
          setDeleting(null);
          act(
            () => del(`/dynamic-image/dynamic-images/${target.dynamicImageId}`),
            t('results.deleted', 'Dynamic image deleted'),
          );
        }}
        title={t('results.delete.title', 'Delete this dynamic image?')}
        body={t(
          'results.delete.body',
          'Its file is removed from the Media Library too. This cannot be undone.',
        )}
      />
    </Page.Main>
  );
}
