import type { Core } from '@strapi/strapi';
import { getService } from '../utils/get-service';
import { body, respond, WithMeta } from './respond';

/** The settings page's auto-thumbnail rules, with the content types and fields they may name. */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const service = () => getService(strapi, 'autoThumbnails');
  return {
    find: respond(async () => new WithMeta(await service().rules(), { candidates: service().candidates() })),
    replace: respond(
      async (ctx) => new WithMeta(await service().replace(body(ctx)), { candidates: service().candidates() }),
    ),
  };
};
