import type { Core } from '@strapi/strapi';
import { ACTIONS, SETTINGS_ACTIONS } from './routes';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  await strapi.service('admin::permission').actionProvider.registerMany(
    ACTIONS.map((a) => ({
      section: 'plugins',
      pluginName: 'dynamic-image',
      uid: a.uid,
      displayName: a.displayName,
    })),
  );
  await strapi.service('admin::permission').actionProvider.registerMany(
    SETTINGS_ACTIONS.map((a) => ({
      section: 'settings',
      category: 'dynamic images',
      pluginName: 'dynamic-image',
      uid: a.uid,
      displayName: a.displayName,
    })),
  );
  await strapi.plugin('dynamic-image').service('queue').start();
  strapi.plugin('dynamic-image').service('uploads').subscribe();
  await strapi.plugin('dynamic-image').service('autoThumbnails').bootstrap();
  strapi.plugin('dynamic-image').service('embeddedWorker').watch();
  strapi.plugin('dynamic-image').service('events').start();
};
