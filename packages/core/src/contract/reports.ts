// What a worker reports while it works on a job: progress (a hint, overtaken by the next one) and
// failures (only a final one ends the job). The worker builds and checks each body with these
// functions before it sends it; the plugin checks each body it receives with the same schemas.
import { z } from 'zod';
import type { DynamicImageError, ErrorCode } from '../errors.js';
import { parseContract } from './violation.js';

export const JOB_STAGES = ['fetch', 'probe', 'encode', 'verify', 'deliver'] as const;
export type JobStage = (typeof JOB_STAGES)[number];

export interface JobProgress {
  jobId: string;
  stage: JobStage;
  /** Overall, 0 to 100. */
  percent: number;
}

export interface JobFailure {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** More attempts than any queue is set up for; bounds what reaches the job row's integer column. */
export const MAX_ATTEMPT = 1000;
/** The longest failure message kept; a worker cuts longer ones before sending. */
export const MAX_FAILURE_MESSAGE = 2000;

const attempt = z.number().int().min(1).max(MAX_ATTEMPT);

// Loose objects: fields a newer worker adds are kept and ignored, not refused.
export const progressBodySchema = z.looseObject({
  jobId: z.string().min(1).max(128),
  stage: z.enum(JOB_STAGES),
  percent: z.number().min(0).max(100),
  /** 1 for the first try, 2 for the first retry… */
  attempt,
});
export type ProgressBody = z.output<typeof progressBodySchema>;

export const failureBodySchema = z.looseObject({
  /** An ErrorCode; a code this side doesn't know (from a newer worker) is read as INTERNAL. */
  code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
  message: z.string().max(MAX_FAILURE_MESSAGE),
  details: z.record(z.string(), z.unknown()).optional(),
  attempt,
  /** No retry follows: the job ends failed. */
  final: z.boolean(),
});
export type FailureBody = z.output<typeof failureBodySchema>;

export function parseProgressBody(input: unknown): ProgressBody {
  return parseContract(progressBodySchema, input, 'progress report');
}

export function parseFailureBody(input: unknown): FailureBody {
  return parseContract(failureBodySchema, input, 'failure report');
}

/** The progress body a worker sends, checked. */
export function progressBody(progress: JobProgress, attemptNumber: number): ProgressBody {
  return parseProgressBody({
    jobId: progress.jobId,
    stage: progress.stage,
    percent: progress.percent,
    attempt: attemptNumber,
  });
}

/** The failure body a worker sends, checked; an over-long message is cut to fit. */
export function failureBody(
  failure: JobFailure | DynamicImageError,
  attemptNumber: number,
  final: boolean,
): FailureBody {
  const { code, message, details } = 'toJSON' in failure ? failure.toJSON() : failure;
  return parseFailureBody({
    code,
    message: message.length > MAX_FAILURE_MESSAGE ? `${message.slice(0, MAX_FAILURE_MESSAGE - 1)}…` : message,
    ...(details ? { details } : {}),
    attempt: attemptNumber,
    final,
  });
}
