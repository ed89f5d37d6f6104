import type { Core } from '@strapi/strapi';
import { getService } from '../utils/get-service';
import { body, respond } from './respond';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  return {
    find: respond(async () => getService(strapi, 'settings').get()),
    update: respond(async (ctx) => getService(strapi, 'settings').update(body(ctx))),
    reset: respond(async () => getService(strapi, 'settings').reset()),
    /** Connected workers and the queue's depth. */
    status: respond(async () => getService(strapi, 'status').get()),
    folders: respond(async () => getService(strapi, 'videos').folders()),
  };
};
