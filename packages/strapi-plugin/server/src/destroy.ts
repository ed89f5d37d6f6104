import type { Core } from '@strapi/strapi';
import { getService } from './utils/get-service';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  getService(strapi, 'events').stop();
  getService(strapi, 'sharedEncodes').stop();
  await getService(strapi, 'embeddedWorker').stop();
  await getService(strapi, 'queue').stop();
};
