import type { Core } from '@strapi/strapi';
import { body, respond } from './respond';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const plugin = () => strapi.plugin('dynamic-image');
  return {
    find: respond(async () => plugin().service('settings').get()),
    update: respond(async (ctx) => plugin().service('settings').update(body(ctx))),
    reset: respond(async () => plugin().service('settings').reset()),
    /** Connected workers and the queue's depth. */
    status: respond(async () => plugin().service('status').get()),
    folders: respond(async () => plugin().service('videos').folders()),
  };
};
