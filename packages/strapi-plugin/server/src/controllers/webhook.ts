import type { Core } from '@strapi/strapi';
import { COMPLETE_EVENT } from '../services/events';
import { getService } from '../utils/get-service';
import { body, respond, WithMeta } from './respond';

/** What the settings page shows beside the webhooks: the event, and the secret receivers verify with. */
const meta = async (strapi: Core.Strapi) => ({
  event: COMPLETE_EVENT,
  signingSecret: await getService(strapi, 'eventDeliveries').signingSecret(),
});

/**
 * The settings page's webhooks: Strapi's own Settings → Webhooks page lists only entry and media events,
 * so subscribing a webhook to `DynamicImageComplete` happens here.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const events = () => getService(strapi, 'events');
  const deliveries = () => getService(strapi, 'eventDeliveries');
  return {
    find: respond(async () => new WithMeta(await events().webhooks(), await meta(strapi))),
    replace: respond(
      async (ctx) => new WithMeta(await events().subscribe(body(ctx).data), await meta(strapi)),
    ),
    /** The delivery log: each DynamicImageComplete sent to a webhook, its attempts and status codes. */
    deliveries: respond(async (ctx) => deliveries().list(ctx.query)),
    resend: respond(async (ctx) => deliveries().resend(ctx.params.deliveryId)),
  };
};
