// The pg-boss consumer: one handler per job, turning a pipeline outcome into a settled job.

import { hostname } from 'node:os';
import {
  DynamicImageError,
  type DynamicImageJobData,
  type DynamicImageResult,
  type JobFailure,
  type JobProgress,
  parseJobData,
  QUEUE_NAMES,
  toDynamicImageError,
} from '@dynamic-image/core';
import type { JobResult, JobWithMetadata, PgBoss } from 'pg-boss';
import { describeBinaries, type FfmpegBinaries, resolveFfmpegBinaries } from './binaries.js';
import { parseWorkerOptions, type WorkerOptions, type WorkerOptionsInput } from './config.js';
import { deliverToFile } from './delivery.js';
import { httpDelivery } from './http-delivery.js';
import { type PipelineOutput, removeStaleJobDirs, runPipeline } from './pipeline.js';
import { createBoss, ensureQueues } from './queue.js';

export type JobOutcome =
  | { status: 'success'; jobId: string; attempt: number; result: DynamicImageResult }
  | { status: 'failed'; jobId: string; attempt: number; final: boolean; error: JobFailure };

/** What pg-boss stores as the job's output. */
export type JobOutput =
  | { status: 'success'; result: DynamicImageResult }
  | { status: 'failed'; error: JobFailure };

export type Deliver = (job: DynamicImageJobData, output: PipelineOutput) => Promise<void>;

export interface WorkerHooks {
  onProgress?: (progress: JobProgress) => void;
  onOutcome?: (outcome: JobOutcome) => void | Promise<void>;
  /** Hands the verified file on. Defaults to file delivery; the CMS plugin supplies HTTP delivery. */
  deliver?: Deliver;
  log?: (message: string) => void;
}

export interface RunningWorker {
  boss: PgBoss;
  binaries: FfmpegBinaries;
  options: WorkerOptions;
  stop(): Promise<void>;
}

/** A payload stored as a JSON string; anything else is an invalid job. */
function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DynamicImageError('INVALID_JOB', `The job's payload is not JSON: ${(err as Error).message}`);
  }
}

// Progress goes to the CMS at most this often per job, plus at every stage change.
const PROGRESS_INTERVAL_MS = 1000;

export async function startWorker(
  input: WorkerOptionsInput,
  hooks: WorkerHooks = {},
): Promise<RunningWorker> {
  const options = parseWorkerOptions(input);
  const log = hooks.log ?? ((message: string) => console.log(`[dynamic-image worker] ${message}`));
  const binaries = resolveFfmpegBinaries();
  log(describeBinaries(binaries));
  const http = options.workerSecret
    ? httpDelivery({
        secret: options.workerSecret,
        onRetry: (error, waitMs) => log(`${error.message}; sending again in ${waitMs} ms`),
      })
    : null;
  const deliver: Deliver =
    hooks.deliver ??
    (async (job, output) => {
      if (job.delivery.kind === 'file') return deliverToFile(job, output);
      if (!http)
        throw new DynamicImageError(
          'INVALID_JOB',
          'This worker has no workerSecret, so it cannot deliver over HTTP',
        );
      return http.deliver(job, output);
    });

  /** Reports progress to the CMS for HTTP jobs, throttled; a lost report is only logged. */
  const progressReporter = (job: DynamicImageJobData, attempt: number) => {
    let last = 0;
    let lastStage = '';
    return (progress: JobProgress) => {
      hooks.onProgress?.(progress);
      if (!http || job.delivery.kind !== 'http') return;
      const now = Date.now();
      if (progress.stage === lastStage && now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      lastStage = progress.stage;
      http
        .progress(job, { ...progress, attempt })
        .catch((err) => log(`progress for ${job.jobId} not sent: ${err.message}`));
    };
  };

  const sweep = async () => {
    const stale = await removeStaleJobDirs(options.tmpDir);
    if (stale > 0) log(`removed ${stale} job folder(s) left in ${options.tmpDir} by workers that died`);
  };
  await sweep();
  // Also later: a sibling worker sharing this folder may die while this one runs.
  const sweeper = setInterval(() => void sweep(), 60_000);
  sweeper.unref();

  // The CMS's status page counts workers by these session names (application_name, 63 bytes at most).
  const boss = createBoss(options, `dynamic-image-worker ${hostname().slice(0, 32)} ${process.pid}`);
  boss.on('error', (err) => log(`queue error: ${err.message}`));
  await boss.start();
  await ensureQueues(boss, options);

  const handle = async (job: JobWithMetadata<unknown>): Promise<JobResult<JobOutput>> => {
    const attempt = job.retryCount + 1;
    let raw: unknown = job.data;
    let data: DynamicImageJobData | null = null;
    try {
      // Inside the try: a payload that isn't JSON is an invalid job (dead-lettered), not a retryable crash.
      if (typeof raw === 'string') raw = parsePayload(raw);
      data = parseJobData(raw);
      const job_ = data;
      const result = await runPipeline(
        job_,
        {
          binaries,
          tmpDir: options.tmpDir,
          sourcePolicy: {
            allowFile: options.allowFileSources,
            allowedHosts: options.allowedHosts,
            allowLinkLocal: options.allowLinkLocalSources,
            maxBytes: options.maxSourceBytes,
            readTimeoutSeconds: options.sourceReadTimeoutSeconds,
          },
          timeoutSeconds: options.jobTimeoutSeconds,
          signal: job.signal,
          onProgress: progressReporter(job_, attempt),
        },
        async (output) => {
          await deliver(job_, output);
          return output.result;
        },
      );
      log(`job ${job_.jobId} attempt ${attempt} done in ${result.timings.totalMs} ms`);
      await hooks.onOutcome?.({ status: 'success', jobId: job_.jobId, attempt, result });
      return { id: job.id, status: 'completed', output: { status: 'success', result } };
    } catch (err) {
      const error = toDynamicImageError(err);
      // The job's own retry limit, as pg-boss applies it: the job may have been sent with another limit
      // than this worker's, and the CMS must be told "final" exactly when pg-boss won't try again.
      const final = !error.retryable || job.retryCount >= job.retryLimit;
      const failure: JobFailure = error.toJSON();
      const jobId = data?.jobId ?? (raw as { jobId?: string })?.jobId ?? job.id;
      log(
        `job ${jobId} attempt ${attempt} failed: ${error.code}: ${error.message}${final ? '' : ' (will retry)'}`,
      );
      if (http && data?.delivery.kind === 'http') {
        await http
          .failure(data, { ...failure, attempt, final })
          .catch((err) => log(`failure of ${jobId} not reported: ${err.message}`));
      }
      await hooks.onOutcome?.({ status: 'failed', jobId, attempt, final, error: failure });
      // A deterministic failure (bad source, bad window) goes straight to the dead-letter queue:
      // retrying it would only fail again.
      return {
        id: job.id,
        status: error.retryable ? 'failed' : 'deadletter',
        output: { status: 'failed', error: failure },
      };
    }
  };

  await boss.work(
    QUEUE_NAMES.jobs,
    {
      localConcurrency: options.concurrency,
      batchSize: 1,
      perJobResults: true,
      // For each job's own retryLimit.
      includeMetadata: true,
      pollingIntervalSeconds: options.pollingIntervalSeconds,
      // Retries and expired jobs don't NOTIFY, so the backstop poll must not fall back to 30 s.
      notifyPollingIntervalSeconds: options.pollingIntervalSeconds,
    },
    async (jobs) => Promise.all(jobs.map(handle)),
  );
  log(`working on ${QUEUE_NAMES.jobs} with concurrency ${options.concurrency}`);

  return {
    boss,
    binaries,
    options,
    // Graceful: jobs in hand get shutdownGraceSeconds to finish; pg-boss then fails them and
    // aborts their signals (ffmpeg is killed), so another worker retries them.
    stop: async () => {
      clearInterval(sweeper);
      await boss.stop({ graceful: true, timeout: options.shutdownGraceSeconds * 1000 });
    },
  };
}
