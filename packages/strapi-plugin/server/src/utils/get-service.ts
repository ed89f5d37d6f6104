// The plugin's services, typed (as @strapi/upload's getService): `strapi.plugin(…).service(name)` is
// typed `any`. The import of the services is type-only, so no service imports another through here
// at run time (.dependency-cruiser.cjs allows cycles only through this file for that reason).
import type { Core } from '@strapi/strapi';
import type services from '../services';

type Services = typeof services;
export type ServiceName = keyof Services;
export type Service<K extends ServiceName> = ReturnType<Services[K]>;

export function getService<K extends ServiceName>(strapi: Core.Strapi, name: K): Service<K> {
  return strapi.plugin('dynamic-image').service(name) as Service<K>;
}
