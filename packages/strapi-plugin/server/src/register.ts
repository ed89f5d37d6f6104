import type { Core } from '@strapi/strapi';
import { databaseRefusal, UnsupportedDatabaseError } from './database-check';
import { bodyErrors } from './middlewares/body-errors';
import { getService } from './utils/get-service';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const refusal = databaseRefusal(strapi.config.get('database.connection.client'));
  if (refusal) throw new UnsupportedDatabaseError(refusal);
  getService(strapi, 'events').register();
  getService(strapi, 'graphql').register();
  strapi.server.use(bodyErrors);
};
