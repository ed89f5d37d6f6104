import type { Core } from '@strapi/strapi';

/**
 * How deliveries are retried: pg-boss waits retryDelay·2^n (jittered, at most retryDelayMax) before retry n;
 * the defaults keep trying for more than 24 h (about 32 min of doubling, then hourly).
 */
export const deliveryConfig = (strapi: Core.Strapi) => ({
  retryDelaySeconds: 10,
  retryDelayMaxSeconds: 3600,
  retryLimit: 45,
  timeoutSeconds: 10,
  signingSecret: undefined as string | undefined,
  ...(strapi.config.get('plugin::dynamic-image.events') as object | undefined),
});
