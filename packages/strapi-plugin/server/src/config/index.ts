import {
  DEFAULT_PLAN_BUDGET,
  MAX_JOB_TIMEOUT_SECONDS,
  PLAN_BUDGET_LIMITS,
  validateTemplate,
} from '@dynamic-image/core';
import { z } from 'zod';

/** `api::article.article`-like content-type uid; existence and field kinds are checked at bootstrap. */
const contentTypeUid = z.string().regex(/^[a-z0-9-]+::[a-z0-9-]+\.[a-z0-9-]+$/, 'must be a content-type uid');

/**
 * The template of an auto-thumbnail rule: a templateId or name of a stored template, or a template
 * spec (core's fields) that the plugin creates at start-up when no template has its name.
 */
const ruleTemplate = z.union([
  z.string().min(1),
  z.record(z.string(), z.unknown()).superRefine((spec, ctx) => {
    const result = validateTemplate(spec);
    if (result.ok) return;
    for (const issue of result.issues)
      ctx.addIssue({ code: 'custom', path: [issue.field], message: issue.message });
  }),
]);

export const autoThumbnailRuleSchema = z.strictObject({
  uid: contentTypeUid,
  /** A single media field allowing videos. */
  videoField: z.string().min(1),
  /** A single media field allowing images; receives the dynamic image. */
  targetField: z.string().min(1),
  template: ruleTemplate,
  /** Also make the result the video's cover. */
  setAsCover: z.boolean().default(false),
});

export type AutoThumbnailRuleConfig = z.output<typeof autoThumbnailRuleSchema>;

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
    jobTimeoutSeconds: z.number().int().min(1).max(MAX_JOB_TIMEOUT_SECONDS),
    worker: z.strictObject({
      /** embedded: a worker runs inside this Strapi process; standalone: workers run elsewhere. */
      mode: z.enum(['embedded', 'standalone', 'off']),
      concurrency: z.number().int().min(1).max(64).optional(),
      /**
       * Hosts the embedded worker may read sources from: `host` (the scheme's default port), `host:port`
       * or `host:*`; '*' for any host with a public address. Default: the public URL's host and port,
       * and the hosts in the upload provider's options (with an S3 bucket's host: bucketHost).
       */
      allowedHosts: z
        .union([
          z.literal('*'),
          z
            .array(
              z
                .string()
                .regex(
                  /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+|[0-9A-Fa-f:.]+)(:(\d{1,5}|\*))?$/,
                  'must be host, host:port or host:* (a name or address, without scheme)',
                ),
            )
            .min(1),
        ])
        .optional(),
    }),
    /**
     * `DynamicImageComplete` is stored with the job's final state and deleted once sent; one left pending
     * longer than `resendAfterSeconds` (its CMS stopped in between) is re-sent, checked every
     * `resendIntervalSeconds` and at start-up.
     */
    events: z
      .strictObject({
        resendIntervalSeconds: z.number().int().min(1).max(3600).optional(),
        resendAfterSeconds: z.number().int().min(1).max(3600).optional(),
        /** Deliveries retry with backoff: retryDelaySeconds·2^n, at most retryDelayMaxSeconds, retryLimit times. */
        retryDelaySeconds: z.number().int().min(1).max(3600).optional(),
        retryDelayMaxSeconds: z.number().int().min(1).max(86_400).optional(),
        retryLimit: z.number().int().min(0).max(1000).optional(),
        /** How long a receiver has to answer one delivery. */
        timeoutSeconds: z.number().int().min(1).max(120).optional(),
        /** Signs each delivery (x-dynamic-image-event-signature); one is made and kept when unset. */
        signingSecret: z.string().min(16, 'must be at least 16 characters').optional(),
      })
      .optional(),
    /**
     * The cost ceiling (docs/limits.md): a job over maxPixelFrames or over maxOutputBytes (estimated at
     * planning, watched while encoding) is refused; a content-API caller (API token or user) may have
     * at most maxActiveJobsPerCaller jobs queued or running.
     */
    limits: z
      .strictObject({
        maxPixelFrames: z
          .number()
          .int()
          .min(PLAN_BUDGET_LIMITS.maxPixelFrames.min)
          .max(PLAN_BUDGET_LIMITS.maxPixelFrames.max)
          .optional(),
        maxOutputBytes: z
          .number()
          .int()
          .min(PLAN_BUDGET_LIMITS.maxOutputBytes.min)
          .max(PLAN_BUDGET_LIMITS.maxOutputBytes.max)
          .optional(),
        maxActiveJobsPerCaller: z.number().int().min(1).max(1_000_000).optional(),
      })
      .optional(),
    /**
     * A video whose content hash wasn't taken at upload is read once from its URL to take it (the key
     * that stops the same content being processed twice), on the submit path: a read past `maxBytes`
     * or `timeoutSeconds` (the whole read) fails the job at once (UNSUPPORTED_SOURCE, SOURCE_UNREACHABLE).
     */
    contentHash: z
      .strictObject({
        maxBytes: z.number().int().min(1024).max(Number.MAX_SAFE_INTEGER).optional(),
        timeoutSeconds: z.number().int().min(1).max(3600).optional(),
      })
      .optional(),
    /** Make a dynamic image into an entry's media field when it is published (the settings page can edit these). */
    autoThumbnail: z.array(autoThumbnailRuleSchema).default([]),
  })
  .strict();

export type PluginConfig = z.output<typeof pluginConfigSchema>;

export const DEFAULT_LIMITS = { ...DEFAULT_PLAN_BUDGET, maxActiveJobsPerCaller: 100 } as const;

/** The limits in force: each one configured, or its default. */
export function limitsOf(config: Pick<PluginConfig, 'limits'> | undefined) {
  const set = Object.entries(config?.limits ?? {}).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_LIMITS, ...Object.fromEntries(set) } as {
    maxPixelFrames: number;
    maxOutputBytes: number;
    maxActiveJobsPerCaller: number;
  };
}

/** `maxBytes` is a worker's default `maxSourceBytes`: the CMS refuses no video a default worker would read. */
export const DEFAULT_CONTENT_HASH = { maxBytes: 4 * 1024 ** 3, timeoutSeconds: 120 } as const;

/** The content-hash read's limits in force: each one configured, or its default. */
export function contentHashOf(config: Pick<PluginConfig, 'contentHash'> | undefined) {
  const set = Object.entries(config?.contentHash ?? {}).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_CONTENT_HASH, ...Object.fromEntries(set) } as {
    maxBytes: number;
    timeoutSeconds: number;
  };
}

export default {
  default: {
    workerSecret: process.env.DYNAMIC_IMAGE_WORKER_SECRET ?? '',
    queueSchema: 'pgboss',
    defaultWorkflow: null,
    jobTimeoutSeconds: 600,
    worker: { mode: 'embedded' },
    events: { resendIntervalSeconds: 30, resendAfterSeconds: 10 },
    limits: {},
    autoThumbnail: [],
  },
  validator(config: unknown) {
    const parsed = pluginConfigSchema.safeParse(config);
    if (parsed.success) return;
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new Error(`Invalid config for plugin "dynamic-image" (config/plugins.ts):\n${lines.join('\n')}`);
  },
};
