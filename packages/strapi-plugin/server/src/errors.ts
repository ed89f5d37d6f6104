import type { ValidationIssue } from '@dynamic-image/core';

/** An API error in VOD's style: `InvalidTemplate.NotFound`, `InvalidParameter.Fps`… */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409,
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

export type Resource = 'Video' | 'Template' | 'Workflow' | 'Job' | 'DynamicImage' | 'Preview' | 'Webhook';

export function notFound(resource: Resource, id: unknown): ApiError {
  return new ApiError(404, `Invalid${resource}.NotFound`, `${resource} ${String(id)} does not exist`, { id });
}

export function illegalStatus(message: string, details?: Record<string, unknown>): ApiError {
  return new ApiError(400, 'Forbidden.IllegalStatus', message, details);
}
