// The embedded worker: with `worker.mode: 'embedded'` the Strapi app starts a dynamic-image worker in
// its own process (the plugin can't: it must not depend on the worker package). This service hands the
// app the worker's options, keeps the worker it started, stops it with Strapi, and warns when no
// worker came, so jobs don't wait in the queue unnoticed.
import { isIP } from 'node:net';
import type { Core } from '@strapi/strapi';
import { limitsOf, type PluginConfig } from '../config';
import { publicUrl as publicUrlOf } from '../utils/public-url';
import { connectionOptions } from './queue';

/** What the app's bootstrap gets back from `startWorker`. */
export interface EmbeddedWorker {
  stop(): Promise<void>;
}

/** How long after the plugin's bootstrap a worker must have been attached before the warning. */
export const ATTACH_WARNING_SECONDS = 15;

/** Every absolute http(s) URL in the upload provider's options (a CDN or bucket base URL, an endpoint). */
export function providerUrls(options: unknown, depth = 0): string[] {
  if (depth > 3 || !options || typeof options !== 'object') return [];
  const urls: string[] = [];
  for (const value of Object.values(options as Record<string, unknown>)) {
    if (typeof value === 'string' && /^https?:\/\/[^/]/i.test(value)) {
      try {
        urls.push(new URL(value).toString());
      } catch {
        // not a URL after all
      }
    } else urls.push(...providerUrls(value, depth + 1));
  }
  return urls;
}

/**
 * Where an S3 provider's objects are when its options name an endpoint without `forcePathStyle` (and no
 * base URL): the SDK (lib-storage) gives each upload `<protocol>//<Bucket>.<endpoint host>/<key>`, the URL the
 * provider stores (DigitalOcean Spaces, R2 … as Strapi's docs configure them). Null for any other shape.
 */
export function bucketHost(options: unknown): string | null {
  if (!options || typeof options !== 'object') return null;
  const root = options as Record<string, unknown>;
  // The provider merges its `s3Options` with the older top-level form, the top level winning.
  const s3 = { ...(root.s3Options as Record<string, unknown> | undefined), ...root };
  const bucket = (s3.params as Record<string, unknown> | undefined)?.Bucket;
  if (root.baseUrl || !s3.endpoint || s3.forcePathStyle === true) return null;
  if (typeof bucket !== 'string' || !/^[a-z0-9.-]+$/i.test(bucket)) return null;
  let endpoint: URL;
  try {
    const text = String(s3.endpoint);
    endpoint = new URL(/^https?:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    return null;
  }
  // An address has no bucket subdomain; an endpoint already on the bucket's host is named as it is.
  const hostname = endpoint.hostname.replace(/^\[|\]$/g, '');
  if (isIP(hostname) || hostname.startsWith(`${bucket}.`)) return null;
  return `${bucket}.${endpoint.host}`;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  let worker: EmbeddedWorker | null = null;
  let timer: NodeJS.Timeout | null = null;
  const config = () => strapi.config.get('plugin::dynamic-image') as PluginConfig;
  const log = (message: string) => strapi.log.info(`[dynamic-image worker] ${message}`);

  return {
    /** True when this Strapi process should run a worker. */
    wanted(): boolean {
      return config().worker.mode === 'embedded';
    },

    /**
     * Hosts (`host:port`, or `host` for the scheme's default port) the embedded worker may read
     * sources from (undefined: any host with a public address): `worker.allowedHosts` when set (`'*'`
     * for any), else the public URL's host, the hosts named in the upload provider's options and, for an
     * S3 endpoint without forcePathStyle, its bucket's host (bucketHost). A provider whose URLs can't be
     * told from its options (S3 without a baseUrl…) leaves the default open, with a line in the log
     * saying how to narrow it.
     */
    sourceHosts(): string[] | undefined {
      const configured = config().worker.allowedHosts;
      if (configured === '*') return undefined;
      if (configured) return configured;
      const publicUrl = publicUrlOf(strapi);
      const hosts = new Set([new URL(publicUrl).host]);
      const upload = (strapi.config.get('plugin::upload') ?? {}) as {
        provider?: string;
        providerOptions?: unknown;
      };
      const named = providerUrls(upload.providerOptions).map((url) => new URL(url).host);
      for (const host of named) hosts.add(host);
      const bucket = bucketHost(upload.providerOptions);
      if (bucket) hosts.add(bucket);
      const provider = upload.provider ?? 'local';
      if (provider !== 'local' && named.length === 0) {
        strapi.log.info(
          `[dynamic-image] the upload provider "${provider}" names no base URL: the embedded worker reads sources from any host with a public address (set worker.allowedHosts, DYNAMIC_IMAGE_ALLOWED_HOSTS in apps/cms, to narrow it)`,
        );
        return undefined;
      }
      return [...hosts];
    },

    /** The options for `startWorker` from `@dynamic-image/worker`. */
    options() {
      const c = config();
      const db = connectionOptions(strapi) as Record<string, unknown>;
      const databaseUrl =
        (db.connectionString as string | undefined) ??
        `postgres://${encodeURIComponent(String(db.user ?? ''))}${db.password ? `:${encodeURIComponent(String(db.password))}` : ''}@${db.host ?? '127.0.0.1'}:${db.port ?? 5432}/${encodeURIComponent(String(db.database ?? ''))}`;
      return {
        databaseUrl,
        // A connection given as an object keeps its TLS settings (a CA, rejectUnauthorized) beside the URL.
        ...(db.ssl !== undefined && db.ssl !== null ? { ssl: db.ssl } : {}),
        schema: c.queueSchema,
        workerSecret: c.workerSecret,
        // Results go back to this CMS only, whatever a job in the queue says.
        cmsUrl: publicUrlOf(strapi),
        jobTimeoutSeconds: c.jobTimeoutSeconds,
        maxPixelFrames: limitsOf(c).maxPixelFrames,
        maxOutputBytes: limitsOf(c).maxOutputBytes,
        pollingIntervalSeconds: 1,
        allowedHosts: this.sourceHosts() ?? '*',
        ...(c.worker.concurrency ? { concurrency: c.worker.concurrency } : {}),
      };
    },

    /** The worker's log lines, in Strapi's log. */
    log,

    /** The app hands over the worker it started; it is stopped when Strapi stops. */
    attach(started: EmbeddedWorker): void {
      worker = started;
      if (timer) clearTimeout(timer);
      timer = null;
    },

    attached(): boolean {
      return worker !== null;
    },

    /** From the plugin's bootstrap: warn when mode is embedded and no worker is attached in time. */
    watch(seconds = ATTACH_WARNING_SECONDS): void {
      if (!this.wanted()) return;
      timer = setTimeout(() => {
        timer = null;
        if (worker) return;
        strapi.log.warn(
          `[dynamic-image] worker.mode is "embedded" but no worker was started in this process after ${seconds} s: jobs wait in the queue until a worker takes them. Start one in your app's bootstrap (docs/own-app.md, "Use the plugin in your own Strapi"), or set worker.mode to "standalone" and run \`dynamic-image work\` elsewhere.`,
        );
      }, seconds * 1000);
      timer.unref();
    },

    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = null;
      const running = worker;
      worker = null;
      await running?.stop();
    },
  };
};
