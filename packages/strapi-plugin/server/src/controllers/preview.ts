import type { Core } from '@strapi/strapi';
import { getService } from '../utils/get-service';
import { body, respond } from './respond';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const previews = () => getService(strapi, 'previews');
  return {
    /** Renders an unsaved template on a video, small and short, outside the Media Library. */
    create: respond(async (ctx) => {
      const { videoId, template } = body(ctx);
      return previews().create({ videoId, template });
    }, 201),
    findOne: respond(async (ctx) => previews().get(ctx.params.previewId)),
  };
};
