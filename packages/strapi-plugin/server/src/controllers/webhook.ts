import type { Core } from '@strapi/strapi';
import { COMPLETE_EVENT } from '../services/events';
import { getService } from '../utils/get-service';
import { body, respond, WithMeta } from './respond';

/**
 * The settings page's webhooks: Strapi's own Settings → Webhooks page lists only entry and media events,
 * so subscribing a webhook to `DynamicImageComplete` happens here.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const events = () => getService(strapi, 'events');
  return {
    find: respond(async () => new WithMeta(await events().webhooks(), { event: COMPLETE_EVENT })),
    replace: respond(
      async (ctx) => new WithMeta(await events().subscribe(body(ctx).data), { event: COMPLETE_EVENT }),
    ),
  };
};
