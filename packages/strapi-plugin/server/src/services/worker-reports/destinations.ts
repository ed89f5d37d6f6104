// Jobs and previews are one kind of queue job; they differ only in their destination, where the result
// goes: a job's into the Media Library (the results service: the file, its dynamic image, cover and
// event), a preview's into its own row (base64, kept an hour), so trying a template leaves no files. A job
// also keeps more of its run (stage, attempts, start and end) and sends an event when it fails.
import { readFile } from 'node:fs/promises';
import type { DynamicImageResult, ErrorCode, FailureBody, ProgressBody } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import type { ReceivedFile } from '../../controllers/worker-body';
import { jsonColumn } from '../../data/json';
import { getService } from '../../utils/get-service';
import { failEvent } from '../job-rows';
import { type JobKind, type JobTable, jobStates, TABLES } from '../job-states';

type Row = Record<string, unknown>;

/** A failure as recorded: a worker's report, or the CMS's own (`attempt` 0: a dead job). */
export type Failure = Omit<FailureBody, 'attempt'> & { attempt: number };

export interface Destination extends JobTable {
  /** The column of the template that bounds the size of a result. */
  templateColumn: string;
  /** What else a progress report writes, beside the state and the percentage. */
  progressColumns(row: Row, progress: ProgressBody): Row;
  /** What else a failure writes, beside the error (and the state, when it is final). */
  failureColumns(row: Row, failure: Failure): Row;
  /** In the transaction that ends it failed; what it returns runs once that commits. */
  failed(row: Row, code: ErrorCode, message: string): Promise<(() => Promise<void>) | null>;
  /** Takes a result already checked against its file; answers as the result endpoint does. */
  store(id: string, received: ReceivedFile, result: DynamicImageResult): Promise<unknown>;
}

function jobDestination(strapi: Core.Strapi): Destination {
  const attempts = (row: Row, attempt: number) => Math.max(Number(row.attempts ?? 0), attempt);
  return {
    ...TABLES.job,
    templateColumn: 'templateSnapshot',
    progressColumns: (row, progress) => ({
      stage: progress.stage,
      attempts: attempts(row, progress.attempt),
      startedAt: row.startedAt ?? new Date(),
    }),
    failureColumns: (row, failure) => ({
      attempts: attempts(row, failure.attempt),
      ...(failure.final ? { finishedAt: new Date() } : {}),
    }),
    async failed(row, code, message) {
      // Recorded with the failure, sent after the commit (the outbox: events.ts).
      const pending = await getService(strapi, 'events').record(failEvent(row, code, message));
      return async () => {
        await getService(strapi, 'events').send([pending]);
        // Jobs of other videos with the same bytes waiting on this encode fail with it (shared-encodes.ts).
        await getService(strapi, 'sharedEncodes').settle(row.jobId as string);
      };
    },
    store: (jobId, received, result) => getService(strapi, 'results').store(jobId, received, result),
  };
}

function previewDestination(strapi: Core.Strapi): Destination {
  const previews = jobStates(strapi, TABLES.preview);
  return {
    ...TABLES.preview,
    templateColumn: 'template',
    progressColumns: () => ({}),
    failureColumns: () => ({}),
    failed: async () => null,
    async store(previewId, received, result) {
      const row = await previews.get(previewId);
      const stored = jsonColumn<{ sha256?: string } | null>(row.result);
      // The same result again is answered as before; a preview that ended otherwise is not rewritten.
      if (row.state === 'success' && stored?.sha256 === result.sha256) return { previewId, state: 'success' };
      const data = (await readFile(received.path)).toString('base64');
      const done = { state: 'success', progress: 100, result, data, errorCode: null, errorMessage: null };
      if (!(await previews.updateRunning(previewId, done))) throw await previews.conflict(previewId);
      return { previewId, state: 'success' };
    },
  };
}

export function destinations(strapi: Core.Strapi): Record<JobKind, Destination> {
  return { job: jobDestination(strapi), preview: previewDestination(strapi) };
}
