import {
  Box,
  Button,
  Field,
  Flex,
  IconButton,
  Link,
  SingleSelect,
  SingleSelectOption,
  Typography,
} from '@strapi/design-system';
import { Cross, Upload } from '@strapi/icons';
import { Layouts, Page, useAuth, useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { NavLink } from 'react-router-dom';
import { Progress } from '../components/Progress';
import { LoadError } from '../components/States';
import { useResource, type Workflow } from '../utils/api';
import { formatBytes } from '../utils/format';
import { useT } from '../utils/t';

interface Uploaded {
  video: { videoId: number; name: string };
  jobs: Array<{ jobId: string; state: string; created: boolean }>;
}

/** multipart with upload progress: fetch can't report it, XMLHttpRequest can. */
function send(url: string, token: string | null, form: FormData, onProgress: (percent: number) => void) {
  return new Promise<{
    status: number;
    body: { data?: Uploaded[]; error?: { message: string; code: string } };
  }>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { error: { message: xhr.statusText, code: String(xhr.status) } };
      }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new Error('network error'));
    xhr.send(form);
  });
}

export function UploadPage() {
  const t = useT();
  const { get } = useFetchClient();
  const token = useAuth('DynamicImagesUpload', (s) => s.token);
  // The upload reads the token when it is sent, not the one of the render that made `upload`: the renewal
  // call before it may replace the token (Strapi's store, then this page, update before that call answers).
  const latestToken = React.useRef(token);
  latestToken.current = token;
  const { toggleNotification } = useNotification();
  const workflows = useResource<Workflow[]>('/dynamic-image/workflows');
  const [files, setFiles] = React.useState<File[]>([]);
  const [workflowId, setWorkflowId] = React.useState<string | null>(null);
  const [progress, setProgress] = React.useState<number | null>(null);
  const [dragging, setDragging] = React.useState(false);
  const [results, setResults] = React.useState<Uploaded[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  const input = React.useRef<HTMLInputElement>(null);

  const add = (list: FileList | null) => {
    if (!list) return;
    const videos = Array.from(list).filter((f) => f.type.startsWith('video/'));
    if (videos.length < list.length)
      toggleNotification({ type: 'warning', message: t('upload.notVideo', 'Only video files can be added') });
    setFiles((current) => [...current, ...videos]);
  };

  const upload = async () => {
    if (!workflowId || !files.length) return;
    setError(null);
    setProgress(0);
    // A light authenticated call first: the fetch client renews an expired session token.
    await get('/dynamic-image/workflows').catch(() => undefined);
    const form = new FormData();
    form.append('workflowId', workflowId);
    for (const f of files) form.append('files', f, f.name);
    const backend = (window as unknown as { strapi?: { backendURL?: string } }).strapi?.backendURL ?? '';
    try {
      const { status, body } = await send(
        `${backend}/dynamic-image/upload`,
        latestToken.current ?? null,
        form,
        setProgress,
      );
      if (status >= 400 || !body.data) {
        setError(body.error ? `${body.error.code}: ${body.error.message}` : String(status));
      } else {
        setResults((r) => [...(body.data as Uploaded[]), ...r]);
        setFiles([]);
        toggleNotification({
          type: 'success',
          message: t('upload.done', '{count, plural, one {# video uploaded} other {# videos uploaded}}', {
            count: body.data.length,
          }),
        });
      }
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setProgress(null);
    }
  };

  const enabled = (workflows.data ?? []).filter((w) => w.enabled);
  return (
    <Page.Main>
      <Page.Title>{t('upload.title', 'Upload with a workflow')}</Page.Title>
      <Layouts.Header
        title={t('upload.title', 'Upload with a workflow')}
        subtitle={t('upload.subtitle', 'Videos go to the Media Library and the workflow runs on each')}
      />
      <Layouts.Content>
        {workflows.error ? (
          <LoadError error={workflows.error} retry={workflows.reload} />
        ) : (
          <Flex direction="column" alignItems="stretch" gap={6}>
            <Box background="neutral0" hasRadius shadow="tableShadow" padding={6}>
              <Flex direction="column" alignItems="stretch" gap={5}>
                <Box
                  data-testid="dropzone"
                  padding={8}
                  hasRadius
                  borderStyle="dashed"
                  borderWidth="2px"
                  borderColor={dragging ? 'primary600' : 'neutral300'}
                  background={dragging ? 'primary100' : 'neutral100'}
                  onDragOver={(e: React.DragEvent) => {
                    e.preventDefault();
                    setDragging(true);
                  }}
                  onDragLeave={() => setDragging(false)}
                  onDrop={(e: React.DragEvent) => {
                    e.preventDefault();
                    setDragging(false);
                    add(e.dataTransfer.files);
                  }}
                  style={{ textAlign: 'center', cursor: 'pointer' }}
                  onClick={() => input.current?.click()}
                >
                  <Flex direction="column" gap={2}>
                    <Upload width="3rem" height="3rem" fill="primary600" />
                    <Typography variant="delta">{t('upload.drop', 'Drop videos here')}</Typography>
                    <Typography textColor="neutral600">
                      {t('upload.browse', 'or click to choose files')}
                    </Typography>
                  </Flex>
                  <input
                    ref={input}
                    type="file"
                    accept="video/*"
                    multiple
                    hidden
                    data-testid="file-input"
                    onChange={(e) => {
                      add(e.target.files);
                      e.target.value = '';
                    }}
                  />
                </Box>
                {files.length > 0 && (
                  <Flex direction="column" alignItems="stretch" gap={1}>
                    {files.map((f, i) => (
                      <Flex
                        key={`${f.name}-${f.size}-${f.lastModified}`}
                        gap={3}
                        background="neutral100"
                        padding={2}
                        hasRadius
                      >
                        <Box flex="1">
                          <Typography>{f.name}</Typography>
                        </Box>
                        <Typography textColor="neutral600" variant="pi">
                          {formatBytes(f.size)}
                        </Typography>
                        <IconButton
                          label={t('action.remove', 'Remove')}
                          variant="ghost"
                          onClick={() => setFiles((list) => list.filter((_, j) => j !== i))}
                        >
                          <Cross />
                        </IconButton>
                      </Flex>
                    ))}
                  </Flex>
                )}
                <Flex gap={4} alignItems="flex-end">
                  <Box flex="1">
                    <Field.Root
                      name="workflowId"
                      required
                      hint={
                        enabled.length
                          ? undefined
                          : t('upload.noWorkflow', 'No enabled workflow: create one in Workflows first.')
                      }
                    >
                      <Field.Label>{t('upload.workflow', 'Workflow')}</Field.Label>
                      <SingleSelect
                        placeholder={t('upload.workflow.placeholder', 'Choose a workflow')}
                        value={workflowId ?? undefined}
                        onChange={(v: string | number) => setWorkflowId(String(v))}
                        disabled={!enabled.length}
                      >
                        {enabled.map((w) => (
                          <SingleSelectOption key={w.workflowId} value={w.workflowId}>
                            {w.name}
                          </SingleSelectOption>
                        ))}
                      </SingleSelect>
                      <Field.Hint />
                    </Field.Root>
                  </Box>
                  <Button
                    startIcon={<Upload />}
                    onClick={upload}
                    loading={progress !== null}
                    disabled={!workflowId || !files.length}
                  >
                    {t('upload.button', 'Upload')}
                  </Button>
                </Flex>
                {progress !== null && (
                  <Flex gap={3} data-testid="upload-progress">
                    <Progress
                      value={progress}
                      label={t('upload.progress', 'Upload progress')}
                      width="32rem"
                    />
                    <Typography variant="pi">{progress} %</Typography>
                  </Flex>
                )}
                {error && <Typography textColor="danger600">{error}</Typography>}
              </Flex>
            </Box>
            {results.length > 0 && (
              <Box background="neutral0" hasRadius shadow="tableShadow" padding={6}>
                <Typography variant="delta" tag="h2">
                  {t('upload.results', 'Uploaded')}
                </Typography>
                <Flex direction="column" alignItems="stretch" gap={2} paddingTop={3}>
                  {results.map((r) => (
                    <Typography key={r.video.videoId}>
                      {r.video.name} —{' '}
                      {t(
                        'upload.jobs',
                        '{created, plural, =0 {no new job} one {# job started} other {# jobs started}}{existing, plural, =0 {} other {, # already made from the same file}}',
                        {
                          created: r.jobs.filter((j) => j.created).length,
                          existing: r.jobs.filter((j) => !j.created).length,
                        },
                      )}{' '}
                      ·{' '}
                      <Link tag={NavLink} to="../jobs">
                        {t('upload.followJobs', 'follow them in Jobs')}
                      </Link>
                    </Typography>
                  ))}
                </Flex>
              </Box>
            )}
          </Flex>
        )}
      </Layouts.Content>
    </Page.Main>
  );
}
