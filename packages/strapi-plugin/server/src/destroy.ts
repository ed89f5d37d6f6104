import type { Core } from '@strapi/strapi';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  await strapi.plugin('dynamic-image').service('embeddedWorker').stop();
  await strapi.plugin('dynamic-image').service('queue').stop();
};
