import type { Core } from '@strapi/strapi';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  strapi.plugin('dynamic-image').service('events').stop();
  await strapi.plugin('dynamic-image').service('embeddedWorker').stop();
  await strapi.plugin('dynamic-image').service('queue').stop();
};
