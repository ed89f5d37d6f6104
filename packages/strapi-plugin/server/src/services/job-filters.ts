// The filters of a job listing, checked here once for every surface: REST hands over query strings (or
// the arrays and objects qs makes of brackets), GraphQL hands over Ints and IDs; each gets the same
// coded refusal, and no value reaches the database query as an operator.
import { JOB_STATES } from '@dynamic-image/core';
import { invalidParameter } from '../errors';

export const JOB_LIST_LIMIT = { default: 100, max: 1000 } as const;

export interface JobFilters {
  videoId?: number;
  state?: string;
  limit: number;
}

function integer(field: string, value: unknown, min: number, max: number): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalidParameter(
      field,
      `${field} must be an integer in [${min}, ${max}]; got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function jobState(value: unknown): string {
  if (typeof value !== 'string' || !(JOB_STATES as readonly string[]).includes(value)) {
    throw invalidParameter(
      'state',
      `state must be one of ${JOB_STATES.join(', ')}; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Absent (undefined or, from GraphQL, null) means no filter; anything else must be valid. */
export function parseJobFilters(raw: { videoId?: unknown; state?: unknown; limit?: unknown }): JobFilters {
  const given = (v: unknown) => v !== undefined && v !== null;
  const filters: JobFilters = {
    limit: given(raw.limit) ? integer('limit', raw.limit, 1, JOB_LIST_LIMIT.max) : JOB_LIST_LIMIT.default,
  };
  if (given(raw.videoId)) filters.videoId = integer('videoId', raw.videoId, 1, Number.MAX_SAFE_INTEGER);
  if (given(raw.state)) filters.state = jobState(raw.state);
  return filters;
}
