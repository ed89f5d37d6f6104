// The types an app may import from `@dynamic-image/strapi-plugin/strapi-server` (types only): the bodies of
// the HTTP API, the DynamicImageComplete webhook's body, and the server half as Strapi loads it.
import type { Core } from '@strapi/strapi';

export type * from './api-types';
export type { DynamicImageCompleteEvent } from './events/payload';

/**
 * The server half Strapi loads. Written out, not inferred: the inferred type names Strapi's, knex's and
 * winston's inner modules, which an app's declarations can't reach; an app never calls these parts itself.
 */
export interface DynamicImageServer {
  register(context: { strapi: Core.Strapi }): void;
  bootstrap(context: { strapi: Core.Strapi }): Promise<void>;
  destroy(context: { strapi: Core.Strapi }): Promise<void>;
  config: { default: Record<string, unknown>; validator(config: unknown): void };
  contentTypes: Record<string, { schema: object }>;
  controllers: Record<string, unknown>;
  routes: Record<string, unknown>;
  services: Record<string, unknown>;
}
