import type { Core } from '@strapi/strapi';
import { bodyErrors } from './middlewares/body-errors';
import { getService } from './utils/get-service';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  getService(strapi, 'events').register();
  getService(strapi, 'graphql').register();
  strapi.server.use(bodyErrors);
};
