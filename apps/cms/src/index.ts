import type { Core } from '@strapi/strapi';

export default {
  register() {},

  /**
   * The embedded worker: one process runs the CMS and a dynamic-image worker, the default on one
   * machine. It reaches the CMS over HTTP like any standalone worker, so both paths are the same.
   * The plugin gives its options and stops it with Strapi.
   */
  async bootstrap({ strapi }: { strapi: Core.Strapi }) {
    const embedded = strapi.plugin('dynamic-image').service('embeddedWorker');
    if (!embedded.wanted()) return;
    const { startWorker, workerOptionsFromEnv } = await import('@dynamic-image/worker');
    // The source limits read the same variables as a standalone worker's.
    const { maxSourceBytes, sourceReadTimeoutSeconds } = workerOptionsFromEnv();
    embedded.attach(
      await startWorker(
        {
          ...embedded.options(),
          ...(maxSourceBytes ? { maxSourceBytes } : {}),
          ...(sourceReadTimeoutSeconds ? { sourceReadTimeoutSeconds } : {}),
        },
        { log: embedded.log },
      ),
    );
  },
};
