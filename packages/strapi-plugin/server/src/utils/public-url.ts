import type { Core } from '@strapi/strapi';

/** Where workers and webhook readers reach this CMS: the `publicUrl` option, else this process's port. */
export function publicUrl(strapi: Core.Strapi): string {
  return (
    (strapi.config.get('plugin::dynamic-image.publicUrl') as string | undefined) ??
    `http://127.0.0.1:${strapi.config.get('server.port')}`
  );
}
