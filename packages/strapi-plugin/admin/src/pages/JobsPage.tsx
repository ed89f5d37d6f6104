import {
  Box,
  Button,
  Flex,
  Link,
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
import { ArrowClockwise } from '@strapi/icons';
import { Layouts, Page, useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { useIntl } from 'react-intl';
import { NavLink } from 'react-router-dom';
import { JobState } from '../components/JobState';
import { Progress } from '../components/Progress';
import { Empty, LoadError } from '../components/States';
import { PERMISSIONS } from '../permissions';
import { errorOf, type Job, type Template, useResource, type Video } from '../utils/api';
import { formatDuration } from '../utils/format';
import { useT } from '../utils/t';
import { useCan } from '../utils/useCan';

const REFRESH_MS = 1500;
/**
 * Table cells don't wrap by default; names and messages may, anywhere, so the table fits its box. A name keeps
 * a width of its own, so the wide error column doesn't squeeze "landscape.mp4" into "landscape.mp / 4".
 */
const WRAPS = { whiteSpace: 'normal', overflowWrap: 'anywhere' } as const;
const NAME = { ...WRAPS, minWidth: '8rem' } as const;
const WHOLE = { whiteSpace: 'nowrap' } as const;

export function JobsPage() {
  const t = useT();
  const { formatDate } = useIntl();
  const can = useCan();
  const { post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [state, setState] = React.useState<string>('all');
  const jobs = useResource<Job[]>(
    `/dynamic-image/jobs?limit=100${state === 'all' ? '' : `&state=${state}`}`,
    REFRESH_MS,
  );
  const videos = useResource<{ videos: Video[] }>(
    can(PERMISSIONS.imagesRead) ? '/dynamic-image/videos?pageSize=100' : null,
    10_000,
  );
  const templates = useResource<Template[]>(
    can(PERMISSIONS.templatesRead) ? '/dynamic-image/templates' : null,
  );
  const [now, setNow] = React.useState(Date.now());
  React.useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const canRetry = can(PERMISSIONS.jobsSubmit);
  const videoName = (id: number) => videos.data?.videos.find((v) => v.videoId === id)?.name ?? `#${id}`;
  const templateName = (id: string) => templates.data?.find((x) => x.templateId === id)?.name ?? id;

  const retry = async (job: Job) => {
    try {
      await post(`/dynamic-image/jobs/${job.jobId}/retry`, {});
      toggleNotification({ type: 'success', message: t('jobs.retried', 'Job queued again') });
      jobs.reload();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    }
  };

  const data = jobs.data;
  return (
    <Page.Main>
      <Page.Title>{t('jobs.title', 'Jobs')}</Page.Title>
      <Layouts.Header
        title={t('jobs.title', 'Jobs')}
        subtitle={t('jobs.subtitle', 'Live: this list refreshes by itself')}
      />
      <Layouts.Action
        startActions={
          <Box width="20rem">
            <SingleSelect
              aria-label={t('jobs.filter', 'State')}
              value={state}
              onChange={(v: string | number) => setState(String(v))}
            >
              <SingleSelectOption value="all">{t('jobs.filter.all', 'All states')}</SingleSelectOption>
              <SingleSelectOption value="queued">{t('job.state.queued', 'Queued')}</SingleSelectOption>
              <SingleSelectOption value="processing">
                {t('job.state.processing', 'Processing')}
              </SingleSelectOption>
              <SingleSelectOption value="success">{t('job.state.success', 'Success')}</SingleSelectOption>
              <SingleSelectOption value="failed">{t('job.state.failed', 'Failed')}</SingleSelectOption>
            </SingleSelect>
          </Box>
        }
      />
      <Layouts.Content>
        {jobs.loading ? (
          <Page.Loading />
        ) : jobs.error && !data ? (
          <LoadError error={jobs.error} retry={jobs.reload} />
        ) : !data?.length ? (
          <Empty
            content={
              state === 'all'
                ? t('jobs.empty', 'No job yet. Upload a video with a workflow and its jobs appear here.')
                : t('jobs.empty.filtered', 'No job in this state.')
            }
          />
        ) : (
          <Table colCount={7} rowCount={data.length + 1}>
            <Thead>
              {/* Headers on one line each: the columns below give way instead (names and messages wrap). */}
              <Tr style={WHOLE}>
                <Th>
                  <Typography variant="sigma">{t('jobs.col.state', 'State')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('jobs.col.progress', 'Progress')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('jobs.col.video', 'Video')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('jobs.col.template', 'Template')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('jobs.col.duration', 'Duration')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('jobs.col.error', 'Error')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('jobs.col.queued', 'Queued at')}</Typography>
                </Th>
              </Tr>
            </Thead>
            <Tbody>
              {data.map((job) => (
                <Tr key={job.jobId} data-testid="job-row" data-job-id={job.jobId} data-state={job.state}>
                  <Td>
                    <JobState state={job.state} />
                  </Td>
                  <Td>
                    {job.state === 'failed' ? (
                      // A failed job has no progress to show: how far it got says nothing about the error.
                      <Typography textColor="neutral500">—</Typography>
                    ) : (
                      <Flex gap={2} style={WHOLE}>
                        <Progress
                          value={job.progress}
                          label={t('jobs.col.progress', 'Progress')}
                          tone={job.state === 'success' ? 'success' : 'primary'}
                          width="6rem"
                        />
                        <Typography variant="pi">
                          {job.progress} %{job.state === 'processing' && job.stage ? ` · ${job.stage}` : ''}
                        </Typography>
                      </Flex>
                    )}
                  </Td>
                  <Td>
                    <Flex direction="column" alignItems="flex-start">
                      <Typography style={NAME}>{videoName(job.videoId)}</Typography>
                      {job.entry && (
                        <Typography variant="pi">
                          <Link
                            tag={NavLink}
                            to={`/content-manager/collection-types/${job.entry.uid}/${job.entry.documentId}${
                              job.entry.locale ? `?plugins[i18n][locale]=${job.entry.locale}` : ''
                            }`}
                          >
                            {t('jobs.entry', 'Entry {uid}', { uid: job.entry.uid.split('.').pop() })}
                          </Link>
                        </Typography>
                      )}
                    </Flex>
                  </Td>
                  <Td>
                    <Typography tag="p" style={NAME}>
                      {templateName(job.templateId)}
                    </Typography>
                    <Typography variant="pi" textColor="neutral500" tag="p" style={WRAPS}>
                      {t(`jobs.origin.${job.origin}`, job.origin)}
                      {job.attempts > 1
                        ? ` · ${t('jobs.attempts', '{count} attempts', { count: job.attempts })}`
                        : ''}
                    </Typography>
                  </Td>
                  <Td>
                    <Typography>
                      {formatDuration(job.startedAt ?? job.queuedAt, job.finishedAt, now)}
                    </Typography>
                  </Td>
                  <Td>
                    {job.errorCode ? (
                      <Flex
                        direction="column"
                        alignItems="flex-start"
                        gap={1}
                        minWidth="12rem"
                        maxWidth="20rem"
                      >
                        <Typography fontWeight="bold" textColor="danger600">
                          {job.errorCode}
                        </Typography>
                        <Typography variant="pi" textColor="neutral700" style={WRAPS}>
                          {job.errorMessage}
                        </Typography>
                        {job.state === 'failed' && canRetry && (
                          <Button
                            size="S"
                            variant="tertiary"
                            startIcon={<ArrowClockwise />}
                            onClick={() => retry(job)}
                          >
                            {t('jobs.retry', 'Retry')}
                          </Button>
                        )}
                      </Flex>
                    ) : (
                      <Typography textColor="neutral500">—</Typography>
                    )}
                  </Td>
                  <Td>
                    <Typography variant="pi">
                      {formatDate(job.queuedAt, { dateStyle: 'short', timeStyle: 'medium' })}
                    </Typography>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </Layouts.Content>
    </Page.Main>
  );
}
