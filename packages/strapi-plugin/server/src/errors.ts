import type { DynamicImageError, TemplateValidationError, ValidationIssue } from '@dynamic-image/core';

/** An API error in VOD's style: `InvalidTemplate.NotFound`, `InvalidParameter.Fps`… */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const pascal = (field: string) =>
  field
    .split('.')
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('.');

export function invalidParameter(
  field: string,
  message: string,
  details?: Record<string, unknown>,
): ApiError {
  // A problem with the body as a whole is reported by core as "(template)": the code says Template.
  const name = pascal(field.replace(/[^\w.]/g, '')) || 'Body';
  return new ApiError(400, `InvalidParameter.${name}`, message, details);
}

/** Core's validation issues (a template's, a workflow's) as one 400 named after the first issue's field. */
export function fromValidation(err: { issues: ValidationIssue[] }, prefix = ''): ApiError {
  const issues: ValidationIssue[] = err.issues.map((i) =>
    prefix ? { ...i, field: `${prefix}${i.field}` } : i,
  );
  const first = issues[0];
  return invalidParameter(first?.field ?? 'Template', issues.map((i) => i.message).join('; '), { issues });
}

export type Resource =
  | 'Video'
  | 'Template'
  | 'Workflow'
  | 'Job'
  | 'DynamicImage'
  | 'Preview'
  | 'Webhook'
  | 'Delivery';

export function notFound(resource: Resource, id: unknown): ApiError {
  return new ApiError(404, `Invalid${resource}.NotFound`, `${resource} ${String(id)} does not exist`, { id });
}

export function illegalStatus(message: string, details?: Record<string, unknown>): ApiError {
  return new ApiError(400, 'Forbidden.IllegalStatus', message, details);
}

/** A worker's report for a job or preview that has already ended (or ended another way). */
export function jobStateConflict(resource: 'Job' | 'Preview', id: unknown, state: unknown): ApiError {
  return new ApiError(
    409,
    'Conflict.JobState',
    `${resource} ${String(id)} is ${String(state)}; it takes no more reports`,
    {
      id,
      state,
    },
  );
}

export function tooLarge(limit: number): ApiError {
  return new ApiError(
    413,
    'PayloadTooLarge.Body',
    `The body is larger than this endpoint accepts (${limit} bytes)`,
    {
      limit,
    },
  );
}

/** Swallows only the 409 of a job or preview that ended between a read and the write (a race that is fine). */
export function endedMeanwhile(err: unknown): void {
  if (err instanceof ApiError && err.code === 'Conflict.JobState') return;
  throw err;
}

/** A core refusal (BUDGET_EXCEEDED…) on the API: core's code, its catalogue's HTTP status, its details. */
export function fromCore(err: DynamicImageError): ApiError {
  // An output past its byte cap is too large; every other refusal of core's is a bad request.
  return new ApiError(err.code === 'OUTPUT_TOO_LARGE' ? 413 : 400, err.code, err.message, err.details);
}

/** A caller with too many jobs queued or running (content API only). */
export function tooManyActiveJobs(active: number, limit: number): ApiError {
  return new ApiError(
    429,
    'LimitExceeded.ActiveJobs',
    `This caller already has ${active} jobs queued or running, the limit is ${limit} (limits.maxActiveJobsPerCaller): wait for some to finish`,
    { active, limit },
  );
}
