import { z } from 'zod';
import type { PlanBudget } from '../budget.js';
import { DynamicImageError } from '../errors.js';
import { type Template, templateInputSchema, toValidationIssues } from '../template.js';

/** Bumped only for changes an older worker could not honour; new optional fields keep the version. */
export const JOB_CONTRACT_VERSION = 1;

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

export type JobState = 'queued' | 'processing' | 'success' | 'failed';
export const JOB_STATES: readonly JobState[] = ['queued', 'processing', 'success', 'failed'];

/**
 * How a preview (a try of a template, kept an hour, no Media Library file) is told from a real job
 * in the queue: its payload's meta carries this.
 */
export const PREVIEW_META = { preview: true } as const;

/** Whether a queue payload (parsed or not: the dead-letter queue sees raw ones) is a preview's. */
export function isPreviewJob(data: unknown): boolean {
  const meta = (data as { meta?: unknown } | null | undefined)?.meta;
  return typeof meta === 'object' && meta !== null && (meta as { preview?: unknown }).preview === true;
}
