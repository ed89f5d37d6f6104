import type { Core } from '@strapi/strapi';

/** Where workers and webhook readers reach this CMS: the `publicUrl` option, else this process's port. */
export function publicUrl(strapi: Core.Strapi): string {
  return (
    (strapi.config.get('plugin::dynamic-image.publicUrl') as string | undefined) ??
    `http://127.0.0.1:${strapi.config.get('server.port')}`
  );
}

/** A Media Library URL made absolute on the public URL (one already absolute, as a CDN's, is kept). */
export function absoluteUrl(strapi: Core.Strapi, url: string): string {
  return new URL(url, publicUrl(strapi)).toString();
}
