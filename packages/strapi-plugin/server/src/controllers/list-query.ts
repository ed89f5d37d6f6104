import { z } from 'zod';
import { invalidParameter } from '../errors';

// The admin lists' query strings. Values arrive as strings, arrays or (with qs brackets) objects: only the
// plain values named here pass, so no parameter can carry a query operator (search[$ne]=x) into the database.

/** The orders the videos list offers, as `field:direction`. */
export const VIDEO_SORTS = [
  'createdAt:desc',
  'createdAt:asc',
  'name:asc',
  'name:desc',
  'size:asc',
  'size:desc',
] as const;
export type VideoSort = (typeof VIDEO_SORTS)[number];

const LIMITS = { pageMax: 1_000_000, pageSizeMax: 100, searchMax: 200 } as const;

const integer = (max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

const RULES: Record<string, string> = {
  page: `an integer in [1, ${LIMITS.pageMax}]`,
  pageSize: `an integer in [1, ${LIMITS.pageSizeMax}]`,
  search: `a string of at most ${LIMITS.searchMax} characters`,
  sort: `one of ${VIDEO_SORTS.join(', ')}`,
  videoId: `a file id (an integer in [1, ${Number.MAX_SAFE_INTEGER}])`,
};

const videoListQuery = z.strictObject({
  page: integer(LIMITS.pageMax).optional(),
  pageSize: integer(LIMITS.pageSizeMax).optional(),
  search: z.string().max(LIMITS.searchMax).optional(),
  sort: z.enum(VIDEO_SORTS).optional(),
});

const imageListQuery = z.strictObject({
  page: integer(LIMITS.pageMax).optional(),
  pageSize: integer(LIMITS.pageSizeMax).optional(),
  videoId: integer(Number.MAX_SAFE_INTEGER).optional(),
});

function parse<T extends z.ZodType>(schema: T, query: unknown, list: string): z.output<T> {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    throw invalidParameter(key, `${key} is not a parameter of the ${list} list`);
  }
  const field = String(issue.path[0] ?? 'query');
  const value = (query as Record<string, unknown>)[field];
  throw invalidParameter(field, `${field} must be ${RULES[field]}; got ${JSON.stringify(value)}`);
}

export const videoListParams = (query: unknown) => parse(videoListQuery, query, 'videos');
export const imageListParams = (query: unknown) => parse(imageListQuery, query, 'dynamic images');
