// Every worker option is validated here, once, like pg-boss's attorney: a wrong value stops
// start-up with a message that names the option.
import { availableParallelism, tmpdir } from 'node:os';
import {
  DEFAULT_PLAN_BUDGET,
  jobExpireInSeconds,
  MAX_JOB_TIMEOUT_SECONDS,
  PLAN_BUDGET_LIMITS,
  QUEUE_DEFAULTS,
} from '@dynamic-image/core';
import { z } from 'zod';
import { DEFAULT_SOURCE_BUDGET } from './source-budget.js';

export const workerOptionsSchema = z
  .object({
    databaseUrl: z.string().min(1),
    /** pg's `ssl` (true, or tls.connect options such as `ca` and `rejectUnauthorized`), beside the URL. */
    ssl: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
    /** pg-boss keeps to its own schema, apart from the CMS's tables. */
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .default('pgboss'),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(() => availableParallelism()),
    /** Backstop polling; new jobs wake workers at once through LISTEN/NOTIFY. */
    pollingIntervalSeconds: z.number().min(0.5).default(2),
    retryLimit: z.number().int().min(0).max(20).default(QUEUE_DEFAULTS.retryLimit),
    retryDelaySeconds: z.number().int().min(0).default(QUEUE_DEFAULTS.retryDelaySeconds),
    retryBackoff: z.boolean().default(QUEUE_DEFAULTS.retryBackoff),
    /**
     * The queue's expiry, for jobs sent without their own: a job in hand longer than this is failed and
     * retried elsewhere. Jobs sent by the CMS and `sendJob` carry their time limit plus a margin.
     */
    expireInSeconds: z
      .number()
      .int()
      .min(10)
      .max(24 * 3600)
      .optional(),
    /** A worker that dies (kill -9) stops its heartbeat; its job is retried after this long. */
    heartbeatSeconds: z.number().int().min(10).default(QUEUE_DEFAULTS.heartbeatSeconds),
    /**
     * How often this worker looks for jobs whose heartbeat stopped (and expired jobs). pg-boss's
     * default of 60 s would add up to a minute to every retry after a worker dies.
     */
    superviseIntervalSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(QUEUE_DEFAULTS.superviseIntervalSeconds),
    jobTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_JOB_TIMEOUT_SECONDS)
      .default(10 * 60),
    shutdownGraceSeconds: z.number().min(0).default(30),
    tmpDir: z
      .string()
      .min(1)
      .default(() => tmpdir()),
    allowFileSources: z.boolean().default(false),
    /**
     * The CMS's public URL (its PUBLIC_URL). A worker with a workerSecret needs it: results go only to
     * this origin, whatever a job in the queue says, and sources are read from it unless allowedHosts
     * says otherwise.
     */
    cmsUrl: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * Where sources may be read from: `host` (the scheme's default port) or `host:port` entries, or
     * '*' for any public host. Default: the CMS's origin only (none without cmsUrl).
     */
    allowedHosts: z.union([z.literal('*'), z.array(z.string().min(1))]).optional(),
    /**
     * Loopback and private networks (CIDR, e.g. 10.0.0.0/8) sources may resolve to. A host named in
     * allowedHosts may resolve to any of them anyway; for other hosts they are refused.
     */
    allowedNetworks: z.array(z.string().regex(/^[0-9a-f.:]+\/\d{1,3}$/i)).default([]),
    /**
     * Jobs delivered to a file may only write inside this folder. Unset: such jobs are refused, since
     * anyone who can queue a job could otherwise make the worker write anywhere.
     */
    fileDeliveryDir: z.string().min(1).optional(),
    /** The address space of one ffmpeg/ffprobe process, in MiB. */
    ffmpegMemoryMb: z.number().int().min(64).default(4096),
    /** CPU seconds of one ffmpeg/ffprobe process; default: the time limit × cores, plus 5. */
    ffmpegCpuSeconds: z.number().int().min(1).optional(),
    /** What a source may declare before anything decodes it (probe). */
    maxSourceWidth: z.number().int().min(16).default(DEFAULT_SOURCE_BUDGET.maxWidth),
    maxSourceHeight: z.number().int().min(16).default(DEFAULT_SOURCE_BUDGET.maxHeight),
    maxSourcePixels: z.number().int().min(256).default(DEFAULT_SOURCE_BUDGET.maxPixels),
    maxSourceFrames: z.number().int().min(1).default(DEFAULT_SOURCE_BUDGET.maxFrames),
    /** Link-local sources (cloud metadata lives there) are refused unless this is set. */
    allowLinkLocalSources: z.boolean().default(false),
    /** The largest http(s) source: a larger declared size is refused, and no body is read past it. */
    maxSourceBytes: z
      .number()
      .int()
      .min(1024)
      .default(4 * 1024 ** 3),
    /** An http(s) source that sends nothing for this long fails (the job's own limit still applies). */
    sourceReadTimeoutSeconds: z.number().min(1).max(600).default(20),
    /** The cost ceiling (docs/limits.md): a plan over it fails BUDGET_EXCEEDED before ffmpeg starts. */
    maxPixelFrames: z
      .number()
      .int()
      .min(PLAN_BUDGET_LIMITS.maxPixelFrames.min)
      .max(PLAN_BUDGET_LIMITS.maxPixelFrames.max)
      .default(DEFAULT_PLAN_BUDGET.maxPixelFrames),
    /** Refused at planning on the estimate; an output file growing past it while encoding fails OUTPUT_TOO_LARGE. */
    maxOutputBytes: z
      .number()
      .int()
      .min(PLAN_BUDGET_LIMITS.maxOutputBytes.min)
      .max(PLAN_BUDGET_LIMITS.maxOutputBytes.max)
      .default(DEFAULT_PLAN_BUDGET.maxOutputBytes),
    /** Shared with the CMS: signs results, progress and failures sent over HTTP. */
    workerSecret: z.string().min(16).optional(),
  })
  .strict()
  .refine((o) => !o.workerSecret || o.cmsUrl, {
    message:
      'a worker that delivers over HTTP (workerSecret) needs the CMS public URL (DYNAMIC_IMAGE_CMS_URL, --cms-url): results only go there',
    path: ['cmsUrl'],
  })
  .refine((o) => o.expireInSeconds === undefined || o.jobTimeoutSeconds < o.expireInSeconds, {
    message: 'jobTimeoutSeconds must be below expireInSeconds, so a job times out before pg-boss expires it',
    path: ['jobTimeoutSeconds'],
  })
  .transform((o) => ({
    ...o,
    // By default the queue's expiry follows the time limit, so a long limit needs nothing else.
    expireInSeconds:
      o.expireInSeconds ?? Math.max(QUEUE_DEFAULTS.expireInSeconds, jobExpireInSeconds(o.jobTimeoutSeconds)),
  }));

export type WorkerOptionsInput = z.input<typeof workerOptionsSchema>;
export type WorkerOptions = z.output<typeof workerOptionsSchema>;

export class WorkerConfigError extends Error {
  override name = 'WorkerConfigError';
}

export function parseWorkerOptions(input: WorkerOptionsInput): WorkerOptions {
  const parsed = workerOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map(
    (issue) => `  ${issue.path.join('.') || '(options)'}: ${issue.message}`,
  );
  throw new WorkerConfigError(`Invalid worker options:\n${lines.join('\n')}`);
}

const number = (value: string | undefined) =>
  value === undefined || value === '' ? undefined : Number(value);

/** Options from DYNAMIC_IMAGE_* environment variables (and DATABASE_URL). */
export function workerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<WorkerOptionsInput> {
  const entries: Partial<WorkerOptionsInput> = {
    databaseUrl: env.DATABASE_URL,
    schema: env.DYNAMIC_IMAGE_QUEUE_SCHEMA,
    concurrency: number(env.DYNAMIC_IMAGE_CONCURRENCY),
    pollingIntervalSeconds: number(env.DYNAMIC_IMAGE_POLLING_INTERVAL_SECONDS),
    retryLimit: number(env.DYNAMIC_IMAGE_RETRY_LIMIT),
    retryDelaySeconds: number(env.DYNAMIC_IMAGE_RETRY_DELAY_SECONDS),
    retryBackoff:
      env.DYNAMIC_IMAGE_RETRY_BACKOFF === undefined ? undefined : env.DYNAMIC_IMAGE_RETRY_BACKOFF === 'true',
    expireInSeconds: number(env.DYNAMIC_IMAGE_EXPIRE_SECONDS),
    heartbeatSeconds: number(env.DYNAMIC_IMAGE_HEARTBEAT_SECONDS),
    shutdownGraceSeconds: number(env.DYNAMIC_IMAGE_SHUTDOWN_GRACE_SECONDS),
    superviseIntervalSeconds: number(env.DYNAMIC_IMAGE_SUPERVISE_INTERVAL_SECONDS),
    jobTimeoutSeconds: number(env.DYNAMIC_IMAGE_JOB_TIMEOUT_SECONDS),
    tmpDir: env.DYNAMIC_IMAGE_TMP_DIR,
    allowFileSources:
      env.DYNAMIC_IMAGE_ALLOW_FILE_SOURCES === undefined
        ? undefined
        : env.DYNAMIC_IMAGE_ALLOW_FILE_SOURCES === 'true',
    workerSecret: env.DYNAMIC_IMAGE_WORKER_SECRET,
    allowLinkLocalSources:
      env.DYNAMIC_IMAGE_ALLOW_LINK_LOCAL_SOURCES === undefined
        ? undefined
        : env.DYNAMIC_IMAGE_ALLOW_LINK_LOCAL_SOURCES === 'true',
    maxSourceBytes: number(env.DYNAMIC_IMAGE_MAX_SOURCE_BYTES),
    maxPixelFrames: number(env.DYNAMIC_IMAGE_MAX_PIXEL_FRAMES),
    maxOutputBytes: number(env.DYNAMIC_IMAGE_MAX_OUTPUT_BYTES),
    sourceReadTimeoutSeconds: number(env.DYNAMIC_IMAGE_SOURCE_READ_TIMEOUT_SECONDS),
    cmsUrl: env.DYNAMIC_IMAGE_CMS_URL || undefined,
    allowedHosts:
      env.DYNAMIC_IMAGE_ALLOWED_HOSTS?.trim() === '*'
        ? '*'
        : env.DYNAMIC_IMAGE_ALLOWED_HOSTS?.split(',')
            .map((h) => h.trim())
            .filter(Boolean),
    allowedNetworks: env.DYNAMIC_IMAGE_ALLOWED_NETWORKS?.split(',')
      .map((h) => h.trim())
      .filter(Boolean),
    fileDeliveryDir: env.DYNAMIC_IMAGE_FILE_DELIVERY_DIR || undefined,
    ffmpegMemoryMb: number(env.DYNAMIC_IMAGE_FFMPEG_MEMORY_MB),
    ffmpegCpuSeconds: number(env.DYNAMIC_IMAGE_FFMPEG_CPU_SECONDS),
    maxSourceWidth: number(env.DYNAMIC_IMAGE_MAX_SOURCE_WIDTH),
    maxSourceHeight: number(env.DYNAMIC_IMAGE_MAX_SOURCE_HEIGHT),
    maxSourcePixels: number(env.DYNAMIC_IMAGE_MAX_SOURCE_PIXELS),
    maxSourceFrames: number(env.DYNAMIC_IMAGE_MAX_SOURCE_FRAMES),
  };
  return Object.fromEntries(
    Object.entries(entries).filter(([, v]) => v !== undefined),
  ) as Partial<WorkerOptionsInput>;
}
