import type { Core } from '@strapi/strapi';

/** Strapi's knex: `strapi.db.connection`, or the `trx` of `strapi.db.transaction`. */
export type Sql = Core.Strapi['db']['connection'];
