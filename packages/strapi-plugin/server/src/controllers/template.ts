import type { Core } from '@strapi/strapi';
import { getService } from '../utils/get-service';
import { body, respond } from './respond';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const templates = () => getService(strapi, 'templates');
  return {
    find: respond(async () => templates().list()),
    findOne: respond(async (ctx) => templates().get(ctx.params.templateId)),
    create: respond(async (ctx) => templates().create(body(ctx)), 201),
    update: respond(async (ctx) => templates().update(ctx.params.templateId, body(ctx))),
    delete: respond(async (ctx) => {
      await templates().remove(ctx.params.templateId);
    }),
  };
};
