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

export default ({
  env,
}: {
  env: ((key: string, fallback?: string) => string) & { int: (key: string, fallback?: number) => number };
}) => ({
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
      },
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
