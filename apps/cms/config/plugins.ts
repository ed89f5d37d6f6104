// The example: publishing an article with a video fills its thumbnail with this template's WebP.
// DYNAMIC_IMAGE_AUTO_THUMBNAIL (a JSON array of rules) replaces it; `[]` turns it off.
const exampleAutoThumbnail = [
  {
    uid: 'api::article.article',
    videoField: 'video',
    targetField: 'thumbnail',
    template: {
      name: 'article-thumbnail',
      format: 'webp',
      fps: 10,
      width: 480,
      captureMethod: 'byDuration',
      start: 0,
      duration: 3,
    },
    setAsCover: false,
  },
];

function rulesFromEnv(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`DYNAMIC_IMAGE_AUTO_THUMBNAIL must be a JSON array of rules: ${(err as Error).message}`);
  }
}

function hostsFromEnv(text: string): '*' | string[] {
  if (text.trim() === '*') return '*';
  return text
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
}

/** The keys whose variable is set, as integers. */
function optionalInts(
  env: ((key: string, fallback?: string) => string) & { int: (key: string) => number },
  keys: Record<string, string>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(keys)
      .filter(([, variable]) => env(variable, '') !== '')
      .map(([key, variable]) => [key, env.int(variable)]),
  );
}

function typesFromEnv(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** An upload provider's options, from UPLOAD_PROVIDER_OPTIONS (a JSON object). */
function providerOptionsFromEnv(text: string): Record<string, unknown> {
  let options: unknown;
  try {
    options = JSON.parse(text);
  } catch (err) {
    throw new Error(`UPLOAD_PROVIDER_OPTIONS must be a JSON object: ${(err as Error).message}`);
  }
  if (!options || typeof options !== 'object' || Array.isArray(options))
    throw new Error('UPLOAD_PROVIDER_OPTIONS must be a JSON object');
  return options as Record<string, unknown>;
}

/**
 * Strapi's upload plugin, when a variable asks for something other than its defaults:
 * - UPLOAD_PROVIDER (a provider's name, as `aws-s3` for @strapi/provider-upload-aws-s3 added to this
 *   app's dependencies, or a module's absolute path) with its UPLOAD_PROVIDER_OPTIONS (JSON);
 * - Strapi's own upload checks (`plugin::upload.security`), which the plugin's upload route honours
 *   too: comma-separated MIME types (`*` wildcards), e.g. UPLOAD_DENIED_TYPES=video/quicktime.
 */
function uploadConfig(env: (key: string, fallback?: string) => string) {
  const config = {
    ...(env('UPLOAD_PROVIDER', '')
      ? {
          provider: env('UPLOAD_PROVIDER'),
          providerOptions: providerOptionsFromEnv(env('UPLOAD_PROVIDER_OPTIONS', '{}')),
        }
      : {}),
    ...(env('UPLOAD_ALLOWED_TYPES', '') || env('UPLOAD_DENIED_TYPES', '')
      ? {
          security: {
            ...(env('UPLOAD_ALLOWED_TYPES', '')
              ? { allowedTypes: typesFromEnv(env('UPLOAD_ALLOWED_TYPES')) }
              : {}),
            ...(env('UPLOAD_DENIED_TYPES', '')
              ? { deniedTypes: typesFromEnv(env('UPLOAD_DENIED_TYPES')) }
              : {}),
          },
        }
      : {}),
  };
  return Object.keys(config).length > 0 ? { upload: { config } } : {};
}

export default ({
  env,
}: {
  env: ((key: string, fallback?: string) => string) & { int: (key: string, fallback?: number) => number };
}) => ({
  ...uploadConfig(env),
  'dynamic-image': {
    config: {
      publicUrl: env('PUBLIC_URL', `http://127.0.0.1:${env.int('PORT', 1337)}`),
      workerSecret: env('DYNAMIC_IMAGE_WORKER_SECRET'),
      defaultWorkflow: env('DYNAMIC_IMAGE_DEFAULT_WORKFLOW', '') || null,
      jobTimeoutSeconds: env.int('DYNAMIC_IMAGE_JOB_TIMEOUT_SECONDS', 600),
      autoThumbnail: env('DYNAMIC_IMAGE_AUTO_THUMBNAIL', '')
        ? rulesFromEnv(env('DYNAMIC_IMAGE_AUTO_THUMBNAIL'))
        : exampleAutoThumbnail,
      events: {
        resendIntervalSeconds: env.int('DYNAMIC_IMAGE_EVENT_RESEND_INTERVAL_SECONDS', 30),
        resendAfterSeconds: env.int('DYNAMIC_IMAGE_EVENT_RESEND_AFTER_SECONDS', 10),
        // Deliveries of DynamicImageComplete: unset keys keep the plugin's defaults (10 s doubling to 1 h, 45 retries).
        ...optionalInts(env, {
          retryDelaySeconds: 'DYNAMIC_IMAGE_EVENT_RETRY_DELAY_SECONDS',
          retryDelayMaxSeconds: 'DYNAMIC_IMAGE_EVENT_RETRY_DELAY_MAX_SECONDS',
          retryLimit: 'DYNAMIC_IMAGE_EVENT_RETRY_LIMIT',
          timeoutSeconds: 'DYNAMIC_IMAGE_EVENT_TIMEOUT_SECONDS',
        }),
        ...(env('DYNAMIC_IMAGE_EVENT_SECRET', '')
          ? { signingSecret: env('DYNAMIC_IMAGE_EVENT_SECRET') }
          : {}),
      },
      // The cost ceiling (docs/limits.md); unset keys keep the plugin's defaults.
      limits: Object.fromEntries(
        (
          [
            ['maxPixelFrames', 'DYNAMIC_IMAGE_MAX_PIXEL_FRAMES'],
            ['maxOutputBytes', 'DYNAMIC_IMAGE_MAX_OUTPUT_BYTES'],
            ['maxActiveJobsPerCaller', 'DYNAMIC_IMAGE_MAX_ACTIVE_JOBS_PER_CALLER'],
          ] as const
        )
          .filter(([, name]) => env(name, '') !== '')
          .map(([key, name]) => [key, env.int(name)]),
      ),
      // The read of a video's URL to take its content hash (docs/limits.md); unset keys keep the defaults.
      contentHash: optionalInts(env, {
        maxBytes: 'DYNAMIC_IMAGE_CONTENT_HASH_MAX_BYTES',
        timeoutSeconds: 'DYNAMIC_IMAGE_CONTENT_HASH_TIMEOUT_SECONDS',
      }),
      worker: {
        mode: env('DYNAMIC_IMAGE_WORKER_MODE', 'embedded'),
        ...(env('DYNAMIC_IMAGE_CONCURRENCY', '')
          ? { concurrency: env.int('DYNAMIC_IMAGE_CONCURRENCY') }
          : {}),
        // `*` for any host with a public address; a comma-separated list of host, host:port or host:*;
        // unset: the public URL's host and port, and the upload provider's hosts.
        ...(env('DYNAMIC_IMAGE_ALLOWED_HOSTS', '')
          ? { allowedHosts: hostsFromEnv(env('DYNAMIC_IMAGE_ALLOWED_HOSTS')) }
          : {}),
      },
    },
  },
});
