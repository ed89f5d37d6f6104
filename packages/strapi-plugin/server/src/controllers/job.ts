import type { Core } from '@strapi/strapi';
import { invalidParameter } from '../errors';
import { getService } from '../utils/get-service';
import { body, respond } from './respond';

const STATES = ['queued', 'processing', 'success', 'failed'];

// Query values arrive as strings, arrays or (with qs brackets) objects: only plain values pass, so a
// filter can't smuggle a query operator such as state[$ne]=x into the database query.
function integer(field: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalidParameter(
      field,
      `${field} must be an integer in [${min}, ${max}]; got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function jobState(value: unknown): string {
  if (typeof value !== 'string' || !STATES.includes(value)) {
    throw invalidParameter(
      'state',
      `state must be one of ${STATES.join(', ')}; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const jobs = () => getService(strapi, 'jobs');
  return {
    /** VOD's SubmitDynamicImageJob. */
    submit: respond(async (ctx) => {
      const { videoId, templateId, overrideParams, force } = body(ctx);
      return jobs().submit({ videoId, templateId, overrideParams, origin: 'api', force: force === true });
    }, 201),
    /** VOD's GetDynamicImageJob. */
    findOne: respond(async (ctx) => jobs().get(ctx.params.jobId)),
    find: respond(async (ctx) => {
      const q = ctx.query as Record<string, unknown>;
      return jobs().list({
        videoId:
          q.videoId === undefined ? undefined : integer('videoId', q.videoId, 1, Number.MAX_SAFE_INTEGER),
        state: q.state === undefined ? undefined : jobState(q.state),
        limit: q.limit === undefined ? undefined : integer('limit', q.limit, 1, 1000),
      });
    }),
    retry: respond(async (ctx) => jobs().retry(ctx.params.jobId), 201),
  };
};
