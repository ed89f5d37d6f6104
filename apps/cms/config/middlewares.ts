import type { Core } from '@strapi/strapi';

/**
 * The origins the Media Library's files come from when UPLOAD_PROVIDER stores them elsewhere (S3, a CDN):
 * those of the URLs in UPLOAD_PROVIDER_OPTIONS (an `endpoint`, a `baseUrl`) and, for an S3 endpoint without
 * `forcePathStyle` or `baseUrl`, the bucket's host on it (`<Bucket>.<endpoint host>`, where the SDK puts the
 * objects). The admin shows those files (Media Library, the plugin's videos and results), and Strapi's CSP
 * lets images and media in from its own origin only. config/plugins.ts reports bad JSON; here it adds none.
 */
function uploadOrigins(text: string | undefined): string[] {
  let options: Record<string, unknown>;
  try {
    options = JSON.parse(text || '{}');
  } catch {
    return [];
  }
  const origins = new Set<string>();
  const visit = (value: unknown, depth: number) => {
    if (typeof value === 'string' && /^https?:\/\/[^/]/i.test(value)) {
      if (URL.canParse(value)) origins.add(new URL(value).origin);
    } else if (value && typeof value === 'object' && depth < 4) {
      for (const inner of Object.values(value)) visit(inner, depth + 1);
    }
  };
  visit(options, 0);
  // The provider merges `s3Options` with the older top-level form, the top level winning.
  const s3 = { ...(options?.s3Options as Record<string, unknown> | undefined), ...options };
  const bucket = (s3.params as Record<string, unknown> | undefined)?.Bucket;
  const endpoint = typeof s3.endpoint === 'string' && URL.canParse(s3.endpoint) ? new URL(s3.endpoint) : null;
  if (endpoint && typeof bucket === 'string' && !options.baseUrl && s3.forcePathStyle !== true)
    origins.add(`${endpoint.protocol}//${bucket}.${endpoint.host}`);
  return [...origins];
}

export default ({ env }: Core.Config.Shared.ConfigParams): Core.Config.Middlewares => {
  const fromStore = uploadOrigins(
    env('UPLOAD_PROVIDER', '') ? env('UPLOAD_PROVIDER_OPTIONS', '') : undefined,
  );
  return [
    'strapi::logger',
    'strapi::errors',
    fromStore.length > 0
      ? {
          name: 'strapi::security',
          config: {
            contentSecurityPolicy: {
              useDefaults: true,
              directives: {
                // Strapi's defaults, plus the store.
                'connect-src': ["'self'", 'https:'],
                'img-src': ["'self'", 'data:', 'blob:', 'https://market-assets.strapi.io', ...fromStore],
                'media-src': ["'self'", 'data:', 'blob:', ...fromStore],
                upgradeInsecureRequests: null,
              },
            },
          },
        }
      : 'strapi::security',
    'strapi::cors',
    'strapi::poweredBy',
    'strapi::query',
    'strapi::body',
    'strapi::session',
    'strapi::favicon',
    'strapi::public',
  ];
};
