import {
  Box,
  Button,
  Field,
  Flex,
  SingleSelect,
  SingleSelectOption,
  Typography,
} from '@strapi/design-system';
import { Play } from '@strapi/icons';
import { useFetchClient } from '@strapi/strapi/admin';
import * as React from 'react';
import { errorOf, useResource, type Video } from '../utils/api';
import { formatBytes } from '../utils/format';
import { useT } from '../utils/t';
import { Progress } from './Progress';

interface Preview {
  previewId: string;
  state: 'queued' | 'processing' | 'success' | 'failed';
  progress: number;
  dataUrl: string | null;
  result: {
    width: number;
    height: number;
    fps: number;
    duration: number;
    bytes: number;
    format: string;
  } | null;
  errorCode: string | null;
  errorMessage: string | null;
}

/** Renders the unsaved template on a chosen video, small and short, without touching the Media Library. */
export function PreviewPanel({ template }: { template: Record<string, unknown> | null }) {
  const t = useT();
  const { post, get } = useFetchClient();
  const videos = useResource<{ videos: Video[] }>('/dynamic-image/videos?pageSize=100');
  const [videoId, setVideoId] = React.useState<number | null>(null);
  const [preview, setPreview] = React.useState<Preview | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);

  React.useEffect(() => {
    if (!preview || preview.state === 'success' || preview.state === 'failed') {
      setBusy(false);
      return;
    }
    const timer = setTimeout(async () => {
      try {
        const r = await get<{ data: Preview }>(`/dynamic-image/previews/${preview.previewId}`);
        setPreview(r.data.data);
      } catch (err) {
        setError(errorOf(err).message);
        setBusy(false);
      }
    }, 700);
    return () => clearTimeout(timer);
  }, [get, preview]);

  const render = async () => {
    if (!template || videoId === null) return;
    setBusy(true);
    setError(null);
    setPreview(null);
    try {
      const r = await post<{ data: Preview }>('/dynamic-image/previews', { videoId, template });
      setPreview(r.data.data);
    } catch (err) {
      setError(errorOf(err).message);
      setBusy(false);
    }
  };

  const list = videos.data?.videos ?? [];
  return (
    <Box background="neutral0" hasRadius shadow="tableShadow" padding={6}>
      <Flex direction="column" alignItems="stretch" gap={4}>
        <Box>
          <Typography variant="delta" tag="h2">
            {t('preview.title', 'Preview')}
          </Typography>
          <Typography variant="pi" textColor="neutral600" tag="p">
            {t(
              'preview.subtitle',
              'A small render of this template before you save it: at most 320 px and 12 fps, and a duration of at most 3 s. It is not added to the Media Library.',
            )}
          </Typography>
        </Box>
        <Flex gap={4} alignItems="flex-end">
          <Box flex="1">
            <Field.Root name="previewVideo">
              <Field.Label>{t('preview.video', 'Video')}</Field.Label>
              <SingleSelect
                placeholder={
                  videos.error
                    ? videos.error.message
                    : list.length
                      ? t('preview.video.placeholder', 'Choose a video from the Media Library')
                      : t('preview.video.none', 'No video in the Media Library yet')
                }
                value={videoId ?? undefined}
                onChange={(v: string | number) => setVideoId(Number(v))}
                disabled={!list.length}
              >
                {list.map((v) => (
                  <SingleSelectOption key={v.videoId} value={v.videoId}>
                    {v.name}
                  </SingleSelectOption>
                ))}
              </SingleSelect>
            </Field.Root>
          </Box>
          <Button
            variant="secondary"
            startIcon={<Play />}
            onClick={render}
            loading={busy}
            disabled={!template || videoId === null}
          >
            {t('preview.render', 'Render preview')}
          </Button>
        </Flex>
        {!template && (
          <Typography variant="pi" textColor="neutral600">
            {t('preview.invalid', 'Fix the fields above to preview.')}
          </Typography>
        )}
        {preview && preview.state !== 'success' && preview.state !== 'failed' && (
          <Flex gap={3}>
            <Progress
              value={preview.progress}
              label={t('preview.progress', 'Preview progress')}
              width="24rem"
            />
            <Typography variant="pi">{preview.progress} %</Typography>
          </Flex>
        )}
        {error && <Typography textColor="danger600">{error}</Typography>}
        {preview?.state === 'failed' && (
          <Typography textColor="danger600">
            {preview.errorCode}: {preview.errorMessage}
          </Typography>
        )}
        {preview?.state === 'success' && preview.dataUrl && preview.result && (
          <Flex gap={4} alignItems="flex-start">
            <img
              src={preview.dataUrl}
              alt={t('preview.alt', 'Preview of the template')}
              data-testid="template-preview"
              style={{ maxWidth: 320, borderRadius: 4, background: '#eee' }}
            />
            <Typography variant="pi" textColor="neutral600">
              {preview.result.format.toUpperCase()} · {preview.result.width} × {preview.result.height} ·{' '}
              {t('common.fps', '{fps} fps', { fps: preview.result.fps })} ·{' '}
              {preview.result.duration.toFixed(2)} s · {formatBytes(preview.result.bytes)}
            </Typography>
          </Flex>
        )}
      </Flex>
    </Box>
  );
}
