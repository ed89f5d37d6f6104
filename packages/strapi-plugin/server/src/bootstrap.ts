import type { Core } from '@strapi/strapi';
import { ACTIONS, SETTINGS_ACTIONS } from './routes';
import { getService } from './utils/get-service';

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
  // The services that report back (the queue's dead letters, a stored result) are given what to call
  // here, so no service calls one that calls it.
  await getService(strapi, 'queue').start(
    ({ kind, jobId, output }) => getService(strapi, 'workerReports').dead(kind, jobId, output),
    (delivery) => getService(strapi, 'eventDeliveries').handle(delivery),
  );
  const fillEntries = (jobId: string) =>
    getService(strapi, 'autoThumbnails')
      .onJobSuccess(jobId)
      .catch((err: Error) => {
        strapi.log.error(`[dynamic-image] auto-thumbnail of job ${jobId} not set: ${err.message}`);
      });
  getService(strapi, 'results').onJobSuccess(fillEntries);
  // A job sharing another video's encode (the same bytes) succeeds there, not in results.
  getService(strapi, 'sharedEncodes').onJobSuccess(fillEntries);
  getService(strapi, 'uploads').subscribe();
  await getService(strapi, 'autoThumbnails').bootstrap();
  getService(strapi, 'embeddedWorker').watch();
  getService(strapi, 'events').start();
  getService(strapi, 'sharedEncodes').start();
};
