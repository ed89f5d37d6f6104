import { Status, Typography } from '@strapi/design-system';
import type { Job } from '../utils/api';
import { useT } from '../utils/t';

const VARIANT = { queued: 'neutral', processing: 'primary', success: 'success', failed: 'danger' } as const;

export function JobState({ state }: { state: Job['state'] }) {
  const t = useT();
  const label = {
    queued: t('job.state.queued', 'Queued'),
    processing: t('job.state.processing', 'Processing'),
    success: t('job.state.success', 'Success'),
    failed: t('job.state.failed', 'Failed'),
  }[state];
  return (
    <Status variant={VARIANT[state]} size="S" data-state={state}>
      <Typography fontWeight="bold" textColor={`${VARIANT[state]}700`}>
        {label}
      </Typography>
    </Status>
  );
}
