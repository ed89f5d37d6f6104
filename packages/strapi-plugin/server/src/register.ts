import type { Core } from '@strapi/strapi';
import { bodyErrors } from './middlewares/body-errors';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  strapi.plugin('dynamic-image').service('events').register();
  strapi.plugin('dynamic-image').service('graphql').register();
  strapi.server.use(bodyErrors);
};
