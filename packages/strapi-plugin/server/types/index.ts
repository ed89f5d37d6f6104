// The source of dist/server/index.d.ts (server/tsup.config.ts): what src/index.ts exports, declared from
// src/app-types.ts alone. src/index.ts itself would pull in every module, whose inferred types name
// Strapi's, knex's and winston's inner modules; its `server` is checked against the same interface.
import type { DynamicImageServer } from '../src/app-types';

export type * from '../src/app-types';

declare const server: DynamicImageServer;
export default server;
