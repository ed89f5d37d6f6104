import type { Core } from '@strapi/strapi';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  strapi.plugin('dynamic-image').service('events').register();
  strapi.plugin('dynamic-image').service('graphql').register();
};
