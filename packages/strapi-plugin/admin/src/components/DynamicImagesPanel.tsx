// The Content Manager's side panel: for each video in the entry's media fields, its dynamic images playing,
// with copy-URL and set-as-cover. Strapi's Media Library can't show a GIF as a video's thumbnail
// (strapi/strapi#23313), so editors see them where they work. Registered in index.ts through the Content
// Manager's `addEditViewSidePanel` API.
import { Badge, Box, Flex, IconButton, Typography } from '@strapi/design-system';
import { Duplicate, Star } from '@strapi/icons';
import { useClipboard, useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { PERMISSIONS } from '../permissions';
import { type DynamicImage, errorOf, useResource } from '../utils/api';
import { absoluteUrl, formatBytes } from '../utils/format';
import { useT } from '../utils/t';
import { useCan } from '../utils/useCan';
import { type MediaFile, videosInDocument } from '../utils/videos-in-document';

/** What the Content Manager passes a side panel (its EditViewContext; only what is read here). */
interface PanelProps {
  document?: unknown;
  model: string;
}

// A panel for a long list of videos would push the entry's other panels away.
const MAX_VIDEOS = 5;

export function DynamicImagesPanel({ document }: PanelProps) {
  const t = useT();
  const can = useCan();
  const videos = React.useMemo(() => videosInDocument(document).slice(0, MAX_VIDEOS), [document]);
  if (!videos.length || !can(PERMISSIONS.imagesRead)) return null;
  return {
    title: t('panel.title', 'Dynamic images'),
    content: (
      <Flex direction="column" alignItems="stretch" gap={4} width="100%" data-testid="dynamic-images-panel">
        {videos.map((video) => (
          <VideoImages key={video.id} video={video} canWrite={can(PERMISSIONS.imagesWrite)} />
        ))}
      </Flex>
    ),
  };
}

function VideoImages({ video, canWrite }: { video: MediaFile; canWrite: boolean }) {
  const t = useT();
  const { post } = useFetchClient();
  const { copy } = useClipboard();
  const { toggleNotification } = useNotification();
  // Refreshed, so a job started by this entry's publish shows its result when it ends.
  const images = useResource<{ dynamicImages: DynamicImage[] }>(
    `/dynamic-image/dynamic-images?pageSize=12&videoId=${video.id}`,
    5000,
  );
  const list = images.data?.dynamicImages ?? [];

  const setCover = async (image: DynamicImage) => {
    try {
      await post(`/dynamic-image/dynamic-images/${image.dynamicImageId}/cover`, {});
      toggleNotification({ type: 'success', message: t('results.coverSet', 'Now the video’s cover') });
      images.reload();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    }
  };

  return (
    <Box data-testid="panel-video" data-video-id={video.id}>
      <Typography variant="omega" fontWeight="bold" ellipsis>
        {video.name ?? `#${video.id}`}
      </Typography>
      {images.error && !images.data ? (
        <Typography variant="pi" textColor="danger600">
          {images.error.message}
        </Typography>
      ) : !images.loading && !list.length ? (
        <Typography variant="pi" textColor="neutral600" tag="p">
          {t('panel.empty', 'No dynamic image of this video yet.')}
        </Typography>
      ) : (
        <Flex direction="column" alignItems="stretch" gap={2} paddingTop={2}>
          {list.map((image) => (
            <Box key={image.dynamicImageId} data-testid="panel-image" data-id={image.dynamicImageId}>
              <img
                src={absoluteUrl(image.url)}
                alt={t('results.alt', 'Dynamic image of {name}', { name: video.name ?? `#${video.id}` })}
                style={{ width: '100%', display: 'block' }}
              />
              <Flex justifyContent="space-between" alignItems="center" paddingTop={1}>
                <Flex gap={1}>
                  <Typography variant="pi" textColor="neutral600">
                    {image.format.toUpperCase()} {image.width}×{image.height} · {formatBytes(image.size)}
                  </Typography>
                  {image.isCover ? (
                    <Badge active data-testid="panel-cover-badge">
                      {t('videos.hasCover', 'Cover')}
                    </Badge>
                  ) : null}
                </Flex>
                <Flex gap={1}>
                  <IconButton
                    label={t('results.copy', 'Copy URL')}
                    variant="ghost"
                    onClick={async () => {
                      await copy(absoluteUrl(image.url));
                      toggleNotification({ type: 'success', message: t('results.copied', 'URL copied') });
                    }}
                  >
                    <Duplicate />
                  </IconButton>
                  {canWrite && !image.isCover ? (
                    <IconButton
                      label={t('results.setCover', 'Set as cover')}
                      variant="ghost"
                      onClick={() => setCover(image)}
                    >
                      <Star />
                    </IconButton>
                  ) : null}
                </Flex>
              </Flex>
            </Box>
          ))}
        </Flex>
      )}
    </Box>
  );
}
