import type { Core } from '@strapi/strapi';
import { callerOf } from '../services/callers';
import { getService } from '../utils/get-service';
import { body, respond } from './respond';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const workflows = () => getService(strapi, 'workflows');
  const jobs = () => getService(strapi, 'jobs');
  return {
    find: respond(async () => workflows().list()),
    findOne: respond(async (ctx) => workflows().get(ctx.params.workflowId)),
    create: respond(async (ctx) => workflows().create(body(ctx)), 201),
    update: respond(async (ctx) => workflows().update(ctx.params.workflowId, body(ctx))),
    delete: respond(async (ctx) => {
      await workflows().remove(ctx.params.workflowId);
    }),
    /** VOD's SubmitWorkflowJob: run a workflow on a video already in the Media Library. */
    run: respond(async (ctx) => {
      const { videoId, force } = body(ctx);
      return jobs().submitWorkflow(
        videoId,
        ctx.params.workflowId,
        'workflow',
        force === true,
        callerOf(ctx.state),
      );
    }, 201),
  };
};
