import type { Core } from '@strapi/strapi';

type Worker = { stop(): Promise<void> };
let worker: Worker | null = null;

export default {
  register() {},

  /**
   * The embedded worker: one process runs the CMS and a dynamic-image worker, the default on one
   * machine. It reaches the CMS over HTTP like any standalone worker, so both paths are the same.
   */
  async bootstrap({ strapi }: { strapi: Core.Strapi }) {
    const config = strapi.config.get('plugin::dynamic-image') as {
      worker: { mode: string; concurrency?: number };
      workerSecret: string;
      queueSchema: string;
      publicUrl?: string;
    };
    if (config.worker.mode !== 'embedded') return;
    const { startWorker, workerOptionsFromEnv } = await import('@dynamic-image/worker');
    // The source limits read the same variables as a standalone worker's.
    const { maxSourceBytes, sourceReadTimeoutSeconds } = workerOptionsFromEnv();
    const host = config.publicUrl ? new URL(config.publicUrl).hostname : '127.0.0.1';
    worker = await startWorker(
      {
        databaseUrl: process.env.DATABASE_URL as string,
        schema: config.queueSchema,
        workerSecret: config.workerSecret,
        allowedHosts: [host],
        ...(maxSourceBytes ? { maxSourceBytes } : {}),
        ...(sourceReadTimeoutSeconds ? { sourceReadTimeoutSeconds } : {}),
        pollingIntervalSeconds: 1,
        ...(config.worker.concurrency ? { concurrency: config.worker.concurrency } : {}),
      },
      { log: (message) => strapi.log.info(`[dynamic-image worker] ${message}`) },
    );
  },

  async destroy() {
    await worker?.stop();
    worker = null;
  },
};
