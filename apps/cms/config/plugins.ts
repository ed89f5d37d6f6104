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
      worker: {
        mode: env('DYNAMIC_IMAGE_WORKER_MODE', 'embedded'),
        ...(env('DYNAMIC_IMAGE_CONCURRENCY', '')
          ? { concurrency: env.int('DYNAMIC_IMAGE_CONCURRENCY') }
          : {}),
      },
    },
  },
});
