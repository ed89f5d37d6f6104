import type { Core } from '@strapi/strapi';
import { body, respond } from './respond';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const jobs = () => strapi.plugin('dynamic-image').service('jobs');
  return {
    /** VOD's SubmitDynamicImageJob. */
    submit: respond(async (ctx) => {
      const { videoId, templateId, overrideParams, force } = body(ctx);
      return jobs().submit({ videoId, templateId, overrideParams, origin: 'api', force: force === true });
    }, 201),
    /** VOD's GetDynamicImageJob. */
    findOne: respond(async (ctx) => jobs().get(ctx.params.jobId)),
    find: respond(async (ctx) => {
      const q = ctx.query as Record<string, string | undefined>;
      return jobs().list({
        videoId: q.videoId ? Number(q.videoId) : undefined,
        state: q.state,
        limit: q.limit ? Number(q.limit) : undefined,
      });
    }),
    retry: respond(async (ctx) => jobs().retry(ctx.params.jobId), 201),
  };
};
