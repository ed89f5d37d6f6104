// The pg-boss consumer: one handler per job, turning a pipeline outcome into a settled job.

import { hostname } from 'node:os';
import {
  DynamicImageError,
  type DynamicImageJobData,
  type DynamicImageResult,
  failureBody,
  type JobFailure,
  type JobProgress,
  parseJobData,
  progressBody,
  QUEUE_NAMES,
  toDynamicImageError,
  workerSessionName,
} from '@dynamic-image/core';
import type { JobResult, JobWithMetadata, PgBoss } from 'pg-boss';
import { describeBinaries, type FfmpegBinaries, ffmpegVersion, resolveFfmpegBinaries } from './binaries.js';
import { parseWorkerOptions, type WorkerOptions, type WorkerOptionsInput } from './config.js';
import { deliverToFile } from './delivery.js';
import { httpDelivery } from './http-delivery.js';
import { checkDelivery, type DeliveryPolicy, deliversToCms } from './job-trust.js';
import { type PipelineOutput, removeStaleJobDirs, runPipeline } from './pipeline.js';
import { publicFailure } from './public-error.js';
import { createBoss, ensureQueues } from './queue.js';
import type { SourcePolicy } from './source.js';

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
  const version = await ffmpegVersion(binaries);
  log(describeBinaries(binaries, version));
  const deliveryPolicy: DeliveryPolicy = { cmsUrl: options.cmsUrl, fileDeliveryDir: options.fileDeliveryDir };
  const sourcePolicy: SourcePolicy = {
    allowFile: options.allowFileSources,
    // Default: the CMS's origin only; '*' for any host with a public address.
    allowedHosts:
      options.allowedHosts === '*'
        ? undefined
        : (options.allowedHosts ?? (options.cmsUrl ? [new URL(options.cmsUrl).host] : [])),
    allowedNetworks: options.allowedNetworks,
    allowLinkLocal: options.allowLinkLocalSources,
    maxBytes: options.maxSourceBytes,
    readTimeoutSeconds: options.sourceReadTimeoutSeconds,
  };
  log(
    `sources from ${sourcePolicy.allowedHosts ? sourcePolicy.allowedHosts.join(', ') || 'no host' : 'any public host'}${options.allowFileSources ? ' and local files' : ''}`,
  );
  const limits = { memoryBytes: options.ffmpegMemoryMb * 1024 ** 2, cpuSeconds: options.ffmpegCpuSeconds };
  const sourceBudget = {
    maxWidth: options.maxSourceWidth,
    maxHeight: options.maxSourceHeight,
    maxPixels: options.maxSourcePixels,
    maxFrames: options.maxSourceFrames,
  };
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
      if (!http || !deliversToCms(job, deliveryPolicy)) return;
      const now = Date.now();
      if (progress.stage === lastStage && now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      lastStage = progress.stage;
      Promise.resolve()
        .then(() => http.progress(job, progressBody(progress, attempt)))
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

  // The CMS's status page counts workers by these session names and shows the ffmpeg each one runs.
  const boss = createBoss(
    options,
    workerSessionName(hostname(), process.pid, {
      version,
      source: binaries.source === 'npm-package' ? 'npm' : binaries.source,
    }),
  );
  boss.on('error', (err) => log(`queue error: ${err.message}`));
  await boss.start();
  const kept = await ensureQueues(boss, options);
  if (kept.length > 0)
    log(`the queue already exists and keeps its settings, not this worker's: ${kept.join(', ')}`);

  const handle = async (job: JobWithMetadata<unknown>): Promise<JobResult<JobOutput>> => {
    const attempt = job.retryCount + 1;
    let raw: unknown = job.data;
    let data: DynamicImageJobData | null = null;
    try {
      // Inside the try: a payload that isn't JSON is an invalid job (dead-lettered), not a retryable crash.
      if (typeof raw === 'string') raw = parsePayload(raw);
      data = parseJobData(raw);
      const job_ = data;
      checkDelivery(job_, deliveryPolicy);
      const result = await runPipeline(
        job_,
        {
          binaries,
          tmpDir: options.tmpDir,
          sourcePolicy,
          limits,
          sourceBudget,
          timeoutSeconds: options.jobTimeoutSeconds,
          budget: { maxPixelFrames: options.maxPixelFrames, maxOutputBytes: options.maxOutputBytes },
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
      // The job's own retry limit (the queue's when it was sent), not this worker's option: another
      // side may have made the queue.
      const final = !error.retryable || job.retryCount >= job.retryLimit;
      // The log keeps the whole message; what leaves the worker is scrubbed (public-error.ts).
      const failure: JobFailure = publicFailure(error.toJSON());
      const jobId = data?.jobId ?? (raw as { jobId?: string })?.jobId ?? job.id;
      log(
        `job ${jobId} attempt ${attempt} failed: ${error.code}: ${error.message}${final ? '' : ' (will retry)'}`,
      );
      if (http && data && deliversToCms(data, deliveryPolicy)) {
        const job_ = data;
        await Promise.resolve()
          .then(() => http.failure(job_, failureBody(failure, attempt, final)))
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
