import { z } from 'zod';
import { checkBudget, type PlanBudget, type PlanCost, planCost } from './budget.js';
import { DynamicImageError, type ErrorCode } from './errors.js';
import { type OutputGeometry, resolveOutputGeometry } from './geometry.js';
import type { SourceProbe } from './probe.js';
import {
  type DynamicImageFormat,
  type Template,
  templateInputSchema,
  toValidationIssues,
} from './template.js';
import { type FrameTiming, resolveFrameTiming } from './timing.js';
import { type CaptureWindow, capWindow, resolveCaptureWindow } from './window.js';

/** Bumped only for changes an older worker could not honour; new optional fields keep the version. */
export const JOB_CONTRACT_VERSION = 1;

export const QUEUE_NAMES = {
  jobs: 'dynamic-image.jobs',
  deadLetter: 'dynamic-image.jobs.dead',
} as const;

const deliverySchema = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('file'), path: z.string().min(1) }),
  z.looseObject({ kind: z.literal('http'), url: z.url({ protocol: /^https?$/ }) }),
]);

/** The longest time limit a job may have (pg-boss expires nothing later than 24 h). */
export const MAX_JOB_TIMEOUT_SECONDS = 6 * 3600;

// Loose objects: fields added by a newer plugin are kept and ignored, not refused.
export const jobDataSchema = z.looseObject({
  version: z
    .number()
    .int()
    .min(1)
    .max(JOB_CONTRACT_VERSION, {
      error: `this worker understands job contract version ${JOB_CONTRACT_VERSION} and below`,
    }),
  jobId: z.string().min(1).max(128),
  source: z.looseObject({
    url: z.string().min(1),
    name: z.string().optional(),
    mime: z.string().optional(),
    size: z.number().nonnegative().optional(),
    videoId: z.union([z.string(), z.number()]).optional(),
  }),
  template: templateInputSchema,
  delivery: deliverySchema,
  timeoutSeconds: z.number().positive().max(MAX_JOB_TIMEOUT_SECONDS).optional(),
  requestedAt: z.string().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  /** The longest window to capture (previews); an older worker ignores it. */
  maxWindowSeconds: z.number().positive().optional(),
  /** The CMS's cost ceiling; an older worker ignores it (it still has its own). */
  budget: z
    .looseObject({
      maxPixelFrames: z.number().positive().optional(),
      maxOutputBytes: z.number().positive().optional(),
    })
    .optional(),
});

export type JobDelivery = { kind: 'file'; path: string } | { kind: 'http'; url: string };

/** The queue payload the plugin sends and the worker reads. */
export interface DynamicImageJobData {
  version: number;
  jobId: string;
  source: { url: string; name?: string; mime?: string; size?: number; videoId?: string | number };
  /** The template as resolved when the job was made, overrides applied: later edits don't change it. */
  template: Template;
  delivery: JobDelivery;
  timeoutSeconds?: number;
  requestedAt?: string;
  meta?: Record<string, unknown>;
  /** The window is cut to this many seconds from its start (previews, in either capture method). */
  maxWindowSeconds?: number;
  /** The CMS's cost ceiling: the worker applies the lower of it and its own. */
  budget?: Partial<PlanBudget>;
  /** Fields from a newer contract are kept. */
  [field: string]: unknown;
}

export function parseJobData(input: unknown): DynamicImageJobData {
  const parsed = jobDataSchema.safeParse(input);
  if (parsed.success) return parsed.data as DynamicImageJobData;
  const problems = parsed.error.issues.map((issue) =>
    issue.path[0] === 'template'
      ? (toValidationIssues(new z.ZodError([issue]), input)[0]?.message ?? issue.message)
      : `${issue.path.join('.') || '(job)'}: ${issue.message}`,
  );
  throw new DynamicImageError('INVALID_JOB', `Invalid job payload: ${problems.join('; ')}`, { problems });
}

export const jobResultSchema = z.looseObject({
  version: z.number().int(),
  jobId: z.string(),
  format: z.enum(['gif', 'webp']),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  fps: z.number().positive(),
  frameCount: z.number().int().positive(),
  duration: z.number().nonnegative(),
  bytes: z.number().int().positive(),
  loop: z.literal(0),
  window: z.object({ start: z.number(), end: z.number(), duration: z.number() }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  timings: z.object({
    fetchMs: z.number(),
    probeMs: z.number(),
    encodeMs: z.number(),
    verifyMs: z.number(),
    totalMs: z.number(),
  }),
});

export interface DynamicImageResult {
  version: number;
  jobId: string;
  format: DynamicImageFormat;
  width: number;
  height: number;
  /** The rate the animation plays at (a GIF above 50 fps is encoded at 50). */
  fps: number;
  frameCount: number;
  /** Seconds the animation plays, from its frame delays. */
  duration: number;
  bytes: number;
  loop: 0;
  window: CaptureWindow;
  sha256: string;
  timings: { fetchMs: number; probeMs: number; encodeMs: number; verifyMs: number; totalMs: number };
}

export type JobStage = 'fetch' | 'probe' | 'encode' | 'verify' | 'deliver';
export interface JobProgress {
  jobId: string;
  stage: JobStage;
  /** Overall, 0 to 100. */
  percent: number;
}

export type JobState = 'queued' | 'processing' | 'success' | 'failed';
export const JOB_STATES: readonly JobState[] = ['queued', 'processing', 'success', 'failed'];

export interface JobFailure {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface DynamicImagePlan {
  format: DynamicImageFormat;
  window: CaptureWindow;
  geometry: OutputGeometry;
  timing: FrameTiming;
}

/** Everything the encoder needs, decided before ffmpeg starts; over the budget, when one is given, it is BUDGET_EXCEEDED. */
export function planDynamicImage(
  template: Template,
  probe: SourceProbe,
  budget?: PlanBudget,
  /** A job's `maxWindowSeconds`: the window is cut to this length (previews, whatever their method). */
  maxWindowSeconds?: number,
): DynamicImagePlan {
  if (!probe.video) throw new DynamicImageError('AUDIO_ONLY');
  const window = capWindow(resolveCaptureWindow(template, probe), maxWindowSeconds);
  const geometry = resolveOutputGeometry(template, probe);
  const timing = resolveFrameTiming(template.format, template.fps, window);
  const plan = { format: template.format, window, geometry, timing };
  if (budget) checkBudget(costOfPlan(plan), budget);
  return plan;
}

export const costOfPlan = (plan: DynamicImagePlan): PlanCost =>
  planCost(plan.format, plan.geometry.width, plan.geometry.height, plan.timing.frameCount);

/** A job may carry the CMS's budget; a worker applies the lower of it and its own, limit by limit. */
export function effectiveBudget(own: PlanBudget, job?: Partial<PlanBudget>): PlanBudget {
  const lower = (a: number, b: unknown) => (typeof b === 'number' && b > 0 ? Math.min(a, b) : a);
  return {
    maxPixelFrames: lower(own.maxPixelFrames, job?.maxPixelFrames),
    maxOutputBytes: lower(own.maxOutputBytes, job?.maxOutputBytes),
  };
}

/** Queue settings used by whichever side creates the queue first; workers may tune them. */
export const QUEUE_DEFAULTS = {
  retryLimit: 2,
  retryDelaySeconds: 5,
  retryBackoff: true,
  expireInSeconds: 15 * 60,
  heartbeatSeconds: 30,
  /**
   * How often each pg-boss instance (CMS or worker) looks for jobs whose heartbeat stopped; pg-boss's
   * own 60 s would leave a dead worker's job waiting up to a minute more.
   */
  superviseIntervalSeconds: 10,
} as const;

/** How long past its time limit pg-boss lets a job run: time for the worker to kill ffmpeg and report. */
export const EXPIRY_MARGIN_SECONDS = 60;

/**
 * The pg-boss expiry of a job with this time limit, sent with each job: the job times out (`TIMEOUT`,
 * reported by its worker) before pg-boss expires it, whatever the limit.
 */
export function jobExpireInSeconds(timeoutSeconds: number): number {
  return Math.ceil(timeoutSeconds) + EXPIRY_MARGIN_SECONDS;
}
