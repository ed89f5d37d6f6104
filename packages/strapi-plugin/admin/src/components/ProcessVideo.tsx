import { Button, Field, Modal, SingleSelect, SingleSelectOption } from '@strapi/design-system';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { errorOf, type Video, type Workflow } from '../utils/api';
import { useT } from '../utils/t';

/** "Process with workflow": runs an enabled workflow on a video already in the Media Library. */
export function ProcessVideo({
  video,
  workflows,
  onClose,
  onDone,
}: {
  video: Video | null;
  workflows: Workflow[];
  onClose: () => void;
  onDone: () => void;
}) {
  const t = useT();
  const { post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [workflowId, setWorkflowId] = React.useState<string | null>(null);
  React.useEffect(() => {
    if (video) setWorkflowId(null);
  }, [video]);

  const run = async () => {
    if (!video || !workflowId) return;
    try {
      const r = await post<{ data: { jobs: Array<{ created: boolean }> } }>(
        `/dynamic-image/workflows/${workflowId}/jobs`,
        // Asked for by hand: make the images again even if this video already went through these templates.
        { videoId: video.videoId, force: true },
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
      onDone();
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    }
  };

  return (
    <Modal.Root open={video !== null} onOpenChange={(open: boolean) => !open && onClose()}>
      <Modal.Content>
        <Modal.Header>
          <Modal.Title>
            {t('videos.process.title', 'Process {name}', { name: video?.name ?? '' })}
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
              {workflows
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
  );
}
