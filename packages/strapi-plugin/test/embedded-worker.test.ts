// The embedded-worker service against a stand-in for Strapi (its config and log):
// which hosts the worker may read, and the warning when no worker was started.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pluginConfig, { limitsOf } from '../server/src/config';
import embeddedWorker, { providerUrls } from '../server/src/services/embedded-worker';

function fakeStrapi(
  worker: Record<string, unknown>,
  upload: Record<string, unknown> = { provider: 'local' },
  limits?: Record<string, unknown>,
  connection: Record<string, unknown> | string = { connectionString: 'postgres://u@db:5432/cms' },
) {
  const lines: Array<{ level: string; message: string }> = [];
  const config: Record<string, unknown> = {
    'plugin::dynamic-image': {
      queueSchema: 'pgboss',
      workerSecret: 'a-secret-of-sixteen+',
      jobTimeoutSeconds: 600,
      worker: { mode: 'embedded', ...worker },
      ...(limits ? { limits } : {}),
    },
    'plugin::dynamic-image.publicUrl': 'http://cms.example.org:1337',
    'plugin::upload': upload,
    'database.connection.connection': connection,
  };
  const strapi = {
    config: { get: (key: string) => config[key] },
    log: {
      info: (message: string) => lines.push({ level: 'info', message }),
      warn: (message: string) => lines.push({ level: 'warn', message }),
    },
  };
  // biome-ignore lint/suspicious/noExplicitAny: a stand-in for the parts of Strapi the service reads.
  return { service: embeddedWorker({ strapi: strapi as any }), lines };
}

describe('the embedded worker', () => {
  it('reads sources from the public URL host, plus the hosts in the upload provider options', () => {
    expect(fakeStrapi({}).service.sourceHosts()).toEqual(['cms.example.org:1337']);
    const s3 = fakeStrapi(
      {},
      {
        provider: 'aws-s3',
        providerOptions: {
          baseUrl: 'https://cdn.example.org/media',
          s3Options: { endpoint: 'https://s3.eu-west-1.amazonaws.com', region: 'eu-west-1' },
        },
      },
    );
    expect(s3.service.sourceHosts()).toEqual([
      'cms.example.org:1337',
      'cdn.example.org',
      's3.eu-west-1.amazonaws.com',
    ]);
  });

  it("reads an S3 bucket's objects at <Bucket>.<endpoint host> unless forcePathStyle says otherwise", () => {
    // The SDK (lib-storage) names an upload `<protocol>//<Bucket>.<endpoint host>/<key>` for a custom
    // endpoint without forcePathStyle (DigitalOcean Spaces, R2 …): the provider stores that URL.
    const spaces = (s3Options: Record<string, unknown>, rest: Record<string, unknown> = {}) =>
      fakeStrapi({}, { provider: 'aws-s3', providerOptions: { s3Options, ...rest } }).service.sourceHosts();
    const endpoint = 'https://fra1.digitaloceanspaces.com';
    expect(spaces({ endpoint, region: 'fra1', params: { Bucket: 'media' } })).toEqual([
      'cms.example.org:1337',
      'fra1.digitaloceanspaces.com',
      'media.fra1.digitaloceanspaces.com',
    ]);
    // The provider's older form: S3 options at the top level.
    expect(
      fakeStrapi(
        {},
        { provider: 'aws-s3', providerOptions: { endpoint, params: { Bucket: 'media' } } },
      ).service.sourceHosts(),
    ).toContain('media.fra1.digitaloceanspaces.com');
    // Path-style URLs, URLs on a base URL, and an endpoint given as an address (no bucket subdomain
    // to it) stay on the hosts named.
    expect(spaces({ endpoint: 'http://10.0.0.5:9000', params: { Bucket: 'media' } })).toEqual([
      'cms.example.org:1337',
      '10.0.0.5:9000',
    ]);
    expect(spaces({ endpoint, forcePathStyle: true, params: { Bucket: 'media' } })).toEqual([
      'cms.example.org:1337',
      'fra1.digitaloceanspaces.com',
    ]);
    expect(
      spaces({ endpoint, params: { Bucket: 'media' } }, { baseUrl: 'https://cdn.example.org' }).sort(),
    ).toEqual(['cdn.example.org', 'cms.example.org:1337', 'fra1.digitaloceanspaces.com']);
  });

  it('is open (to public addresses only) for a provider whose URLs it cannot tell, and says so', () => {
    const { service, lines } = fakeStrapi(
      {},
      { provider: 'cloudinary', providerOptions: { cloud_name: 'x' } },
    );
    expect(service.sourceHosts()).toBeUndefined();
    expect(lines[0]?.message).toMatch(
      /upload provider "cloudinary" names no base URL.*DYNAMIC_IMAGE_ALLOWED_HOSTS/,
    );
  });

  it('takes worker.allowedHosts as given, or any host with "*"', () => {
    expect(fakeStrapi({ allowedHosts: ['a.example', 'b.example'] }).service.sourceHosts()).toEqual([
      'a.example',
      'b.example',
    ]);
    expect(fakeStrapi({ allowedHosts: '*' }).service.sourceHosts()).toBeUndefined();
    expect(fakeStrapi({ allowedHosts: '*' }).service.options()).toHaveProperty('allowedHosts', '*');
  });

  it('gives startWorker the CMS database, queue schema, secret, CMS URL, time limit, budget and hosts', () => {
    expect(fakeStrapi({ concurrency: 3 }).service.options()).toEqual({
      databaseUrl: 'postgres://u@db:5432/cms',
      schema: 'pgboss',
      workerSecret: 'a-secret-of-sixteen+',
      cmsUrl: 'http://cms.example.org:1337',
      jobTimeoutSeconds: 600,
      maxPixelFrames: 2_000_000_000,
      maxOutputBytes: 256 * 1024 * 1024,
      pollingIntervalSeconds: 1,
      allowedHosts: ['cms.example.org:1337'],
      concurrency: 3,
    });
    // The plugin's limits, where set, are the embedded worker's.
    const limited = fakeStrapi({}, undefined, { maxPixelFrames: 5_000_000, maxActiveJobsPerCaller: 2 });
    expect(limited.service.options()).toMatchObject({
      maxPixelFrames: 5_000_000,
      maxOutputBytes: 256 * 1024 * 1024,
    });
  });

  it("keeps the connection's TLS settings, whether it is given as a URL or by its parts", () => {
    const ssl = { rejectUnauthorized: true, ca: '-----BEGIN CERTIFICATE-----\nMIIB…' };
    const byParts = {
      host: 'db.example.org',
      port: 5433,
      database: 'cms',
      user: 'strapi',
      password: 'p@ss',
      ssl,
    };
    expect(fakeStrapi({}, undefined, undefined, byParts).service.options()).toMatchObject({
      databaseUrl: 'postgres://strapi:p%40ss@db.example.org:5433/cms',
      ssl,
    });
    const byUrl = { connectionString: 'postgres://u@db:5432/cms', ssl: true };
    expect(fakeStrapi({}, undefined, undefined, byUrl).service.options()).toMatchObject({ ssl: true });
    // A URL alone (sslmode in it, if any) and a connection without ssl give the worker none.
    expect(
      fakeStrapi({}, undefined, undefined, 'postgres://u@db/cms?sslmode=require').service.options(),
    ).not.toHaveProperty('ssl');
    expect(fakeStrapi({}).service.options()).not.toHaveProperty('ssl');
  });

  it('finds URLs at any depth of the provider options, and nothing else', () => {
    expect(providerUrls({ a: 'not a url', b: { c: 'http://x.example/p' }, d: 3, e: 'https://' })).toEqual([
      'http://x.example/p',
    ]);
  });

  describe('when no worker is attached', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('warns after the delay in embedded mode', () => {
      const { service, lines } = fakeStrapi({});
      service.watch(15);
      vi.advanceTimersByTime(14_000);
      expect(lines).toEqual([]);
      vi.advanceTimersByTime(2_000);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'warn' });
      expect(lines[0]?.message).toMatch(
        /no worker was started in this process.*Use the plugin in your own Strapi/,
      );
    });

    it('stays quiet once a worker is attached, or in standalone mode, and stops the attached worker', async () => {
      const attached = fakeStrapi({});
      attached.service.watch(15);
      const stop = vi.fn(async () => {});
      attached.service.attach({ stop });
      vi.advanceTimersByTime(20_000);
      expect(attached.lines).toEqual([]);
      await attached.service.stop();
      expect(stop).toHaveBeenCalledOnce();
      expect(attached.service.attached()).toBe(false);

      const standalone = fakeStrapi({ mode: 'standalone' });
      standalone.service.watch(15);
      vi.advanceTimersByTime(20_000);
      expect(standalone.lines).toEqual([]);
    });
  });
});

describe('the limits in config/plugins.ts', () => {
  const base = {
    workerSecret: 'a-secret-of-sixteen+',
    queueSchema: 'pgboss',
    defaultWorkflow: null,
    jobTimeoutSeconds: 600,
    worker: { mode: 'off' },
  };
  it('are optional, checked at start-up, and default each on its own', () => {
    expect(() => pluginConfig.validator(base)).not.toThrow();
    expect(() => pluginConfig.validator({ ...base, limits: { maxActiveJobsPerCaller: 5 } })).not.toThrow();
    for (const limits of [
      { maxPixelFrames: 0 },
      { maxOutputBytes: 10 },
      { maxActiveJobsPerCaller: 0 },
      { other: 1 },
    ]) {
      expect(() => pluginConfig.validator({ ...base, limits })).toThrow(/limits/);
    }
    expect(limitsOf({ limits: { maxActiveJobsPerCaller: 5 } })).toEqual({
      maxPixelFrames: 2_000_000_000,
      maxOutputBytes: 256 * 1024 * 1024,
      maxActiveJobsPerCaller: 5,
    });
  });
});
