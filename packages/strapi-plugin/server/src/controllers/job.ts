import type { Core } from '@strapi/strapi';
import { callerOf, isAdmin } from '../services/callers';
import { getService } from '../utils/get-service';
import { body, respond } from './respond';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const jobs = () => getService(strapi, 'jobs');
  return {
    /** VOD's SubmitDynamicImageJob. */
    submit: respond(async (ctx) => {
      const { videoId, templateId, overrideParams, force } = body(ctx);
      const caller = callerOf(ctx.state);
      return jobs().submit({
        videoId,
        templateId,
        overrideParams,
        // No content-API caller: the admin panel's route, whose one-off ("Make dynamic image") says so.
        origin: caller === null && isAdmin(ctx.state) ? 'admin' : 'api',
        force: force === true,
        caller,
      });
    }, 201),
    /** VOD's GetDynamicImageJob. */
    findOne: respond(async (ctx) => jobs().get(ctx.params.jobId)),
    // Query values arrive as strings, arrays or (with qs brackets) objects: the service lets only plain
    // values through, so a filter can't smuggle a query operator such as state[$ne]=x into the query.
    find: respond(async (ctx) => {
      const q = ctx.query as Record<string, unknown>;
      return jobs().list({ videoId: q.videoId, state: q.state, limit: q.limit });
    }),
    retry: respond(async (ctx) => jobs().retry(ctx.params.jobId, callerOf(ctx.state)), 201),
  };
};
