import { z } from 'zod';

// Every option is checked at start-up; a wrong value stops Strapi with a message naming the key.
export const pluginConfigSchema = z
  .object({
    /** How workers reach this CMS: source URLs and the result endpoint are built from it. */
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Shared with the workers; signs what they send back. */
    workerSecret: z.string().min(16, 'must be at least 16 characters'),
    /** pg-boss's schema in the CMS database. */
    queueSchema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier'),
    /** A workflow run on every uploaded video that no folder binding claims; null for none. */
    defaultWorkflow: z.string().min(1).nullable(),
    jobTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(6 * 3600),
    worker: z.strictObject({
      /** embedded: a worker runs inside this Strapi process; standalone: workers run elsewhere. */
      mode: z.enum(['embedded', 'standalone', 'off']),
      concurrency: z.number().int().min(1).max(64).optional(),
    }),
  })
  .strict();

export type PluginConfig = z.output<typeof pluginConfigSchema>;

export default {
  default: {
    workerSecret: process.env.DYNAMIC_IMAGE_WORKER_SECRET ?? '',
    queueSchema: 'pgboss',
    defaultWorkflow: null,
    jobTimeoutSeconds: 600,
    worker: { mode: 'embedded' },
  },
  validator(config: unknown) {
    const parsed = pluginConfigSchema.safeParse(config);
    if (parsed.success) return;
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new Error(`Invalid config for plugin "dynamic-image" (config/plugins.ts):\n${lines.join('\n')}`);
  },
};
