// Sources given by URL, against local servers that misbehave on purpose: redirects to other schemes
// and hosts, endless and oversized bodies, stalls and drips. See RELIABILITY.md.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamicImageError, type TemplateInput } from '@dynamic-image/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorkerOptions, workerOptionsFromEnv } from '../src/config.js';
import { runPipeline } from '../src/pipeline.js';
import { resolveSource, type SourcePolicy } from '../src/source.js';
import { declaredSize, openSource, policyLookup, rangeStart } from '../src/source-gateway.js';
import { binaries, emptyDir, ffmpegChildren, jobFor, listDir, samples } from './support/helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

interface TestServer {
  base: string;
  port: number;
  requests: string[];
  userAgents: Set<string>;
  close(): void;
}

async function serve(route: (path: string) => Handler | undefined): Promise<TestServer> {
  const requests: string[] = [];
  const userAgents = new Set<string>();
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    userAgents.add(req.headers['user-agent'] ?? '');
    const handler = route(req.url ?? '/');
    if (handler) handler(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    requests,
    userAgents,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Serves a file with Range support, as a Media Library behind any web server does. */
function file(body: Buffer, type = 'video/mp4'): Handler {
  return (req, res) => {
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      res.writeHead(206, {
        'content-type': type,
        'content-range': `bytes ${start}-${end}/${body.length}`,
        'content-length': end - start + 1,
        'accept-ranges': 'bytes',
      });
      res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
    } else {
      res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'accept-ranges': 'bytes' });
      res.end(req.method === 'HEAD' ? undefined : body);
    }
  };
}

/**
 * Serves a file as Strapi's static server does (koa-range over koa-send, read from koa-range 0.3.0):
 * a range past the end gets 206 with `Content-Range: bytes <start>-<size - 1>/<size>` and a
 * Content-Length of `size - start`, zero or negative.
 */
function strapiStatic(body: Buffer): Handler {
  return (req, res) => {
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!range) return file(body)(req, res);
    const start = Number(range[1]);
    const end = range[2] ? Number(range[2]) : body.length - 1;
    res.writeHead(206, {
      'accept-ranges': 'bytes',
      'content-type': 'video/mp4',
      'content-range': `bytes ${start}-${end}/${body.length}`,
      'content-length': end - start + 1,
    });
    res.end(start <= end ? body.subarray(start, end + 1) : undefined);
  };
}

/**
 * Sends the headers of the whole answer and its bytes up to `cutAt` (of the file), then either
 * drops the connection or goes silent: a network fault in the middle of a body.
 */
function breaksOff(body: Buffer, cutAt: number, how: 'reset' | 'stall'): Handler {
  return (req, res) => {
    const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const head = { 'content-type': 'video/mp4', 'accept-ranges': 'bytes' };
    if (req.headers.range) {
      res.writeHead(206, {
        ...head,
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        'content-length': body.length - start,
      });
    } else {
      res.writeHead(200, { ...head, 'content-length': body.length });
    }
    res.flushHeaders();
    res.write(body.subarray(start, Math.max(start, cutAt)), () => {
      if (how === 'reset') res.socket?.resetAndDestroy();
    });
  };
}

const redirect =
  (location: string, status = 302): Handler =>
  (_, res) =>
    res.writeHead(status, { location }).end();

async function run(
  url: string,
  policy: Partial<SourcePolicy> = {},
  timeoutSeconds = 20,
  overrides: Partial<TemplateInput> = {},
) {
  const job = jobFor(url, { width: 160, ...overrides });
  job.timeoutSeconds = timeoutSeconds;
  const tmpDir = await emptyDir('sources-tmp-');
  const started = performance.now();
  const outcome = await runPipeline(
    job,
    // The test servers live on loopback, which a policy refuses unless it lists it.
    {
      binaries,
      tmpDir,
      sourcePolicy: { allowFile: false, allowedNetworks: LOOPBACK, ...policy },
      timeoutSeconds,
    },
    async (output) => output.result,
  ).then(
    (result) => ({ result, error: null }),
    (error: unknown) => {
      expect(error).toBeInstanceOf(DynamicImageError);
      return { result: null, error: error as DynamicImageError };
    },
  );
  expect(await listDir(tmpDir)).toEqual([]);
  return { ...outcome, ms: performance.now() - started };
}

describe('sources given by URL', () => {
  let video: Buffer;
  /** An MP4 whose index is whole and whose media is cut off: damaged, however it is served. */
  let damaged: Buffer;
  let origin: TestServer;
  let other: TestServer;

  beforeAll(async () => {
    video = await readFile(samples.landscape);
    damaged = await readFile(samples['truncated-faststart-mp4']);
    // The index (moov, first) and the start of the media arrive; the window (1 s to 3 s) doesn't.
    const cutAt = Math.floor(video.length * 0.25);
    // A second server reached by another name (localhost), to stand for a host off the allow-list.
    other = await serve((path) => (path === '/landscape.mp4' ? file(video) : undefined));
    origin = await serve((path) => {
      const routes: Record<string, Handler> = {
        '/landscape.mp4': file(video),
        '/moved.mp4': redirect('/landscape.mp4', 301),
        '/to-passwd': redirect('file:///etc/passwd'),
        '/to-data': redirect('data:video/mp4;base64,AAAA'),
        '/to-ftp': redirect('ftp://127.0.0.1/video.mp4'),
        '/to-metadata': redirect('http://169.254.169.254/latest/meta-data/iam/security-credentials/'),
        '/to-metadata-v6': redirect('http://[fe80::a9fe:a9fe]/latest/meta-data/'),
        '/to-other-host': redirect(`http://localhost:${other.port}/landscape.mp4`),
        '/loop': redirect('/loop'),
        '/broken': (_, res) => res.writeHead(500).end('no'),
        '/breaks-off.mp4': breaksOff(video, cutAt, 'reset'),
        '/stalls.mp4': breaksOff(video, cutAt, 'stall'),
        '/damaged.mp4': file(damaged),
        '/strapi/damaged.mp4': strapiStatic(damaged),
        '/strapi/landscape.mp4': strapiStatic(video),
        // Chunked, no length, never ends.
        '/endless': (_, res) => {
          res.writeHead(200, { 'content-type': 'video/mp4' });
          const chunk = Buffer.alloc(64 * 1024, 0x47);
          const pump = () => {
            while (res.write(chunk)) {}
          };
          res.on('drain', pump);
          pump();
        },
        '/huge-declared': (_, res) => {
          res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(50 * 1024 ** 3) });
          res.write(video.subarray(0, 1024));
        },
        // Headers and the first bytes, then silence.
        '/stall': (_, res) => {
          res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': video.length });
          res.write(video.subarray(0, 2048));
        },
        // A byte every 100 ms, so no single read ever times out.
        '/drip': (_, res) => {
          res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': video.length });
          let at = 0;
          const timer = setInterval(() => {
            if (res.destroyed || at >= video.length) return clearInterval(timer);
            res.write(video.subarray(at, at + 1));
            at += 1;
          }, 100);
          res.on('close', () => clearInterval(timer));
        },
      };
      return routes[path];
    });
  });

  afterAll(() => {
    origin?.close();
    other?.close();
  });

  it('reads an http source through the gateway, with range requests', async () => {
    const { result, error } = await run(`${origin.base}/landscape.mp4`);
    expect(error).toBeNull();
    expect(result).toMatchObject({ format: 'gif', width: 160, height: 90 });
    expect(origin.requests.filter((r) => r === '/landscape.mp4').length).toBeGreaterThan(0);
    // Every request came from the gateway; ffmpeg (Lavf/…) never reached the host itself.
    expect([...origin.userAgents]).toEqual(['dynamic-image-worker']);
  });

  it('follows a redirect to an allowed place', async () => {
    const { result, error } = await run(`${origin.base}/moved.mp4`, {
      allowedHosts: [`127.0.0.1:${origin.port}`],
    });
    expect(error).toBeNull();
    expect(result).toMatchObject({ width: 160 });
  });

  it.each([
    ['/to-passwd', 'file:'],
    ['/to-data', 'data:'],
    ['/to-ftp', 'ftp:'],
  ])('a redirect from %s to another scheme is UNSUPPORTED_SOURCE', async (path, scheme) => {
    const { error } = await run(`${origin.base}${path}`);
    expect(error?.code).toBe('UNSUPPORTED_SOURCE');
    expect(error?.message).toContain(scheme);
    expect(error?.message).not.toMatch(/root:/);
  });

  it.each(['/to-metadata', '/to-metadata-v6'])(
    'a redirect (%s) to a link-local address is UNSUPPORTED_SOURCE',
    async (path) => {
      const { error } = await run(`${origin.base}${path}`);
      expect(error?.code).toBe('UNSUPPORTED_SOURCE');
      expect(error?.message).toContain('link-local');
    },
  );

  it('a redirect to a link-local address is followed when the policy allows it', async () => {
    // Nothing listens there, so the request fails: it was made, not refused.
    const { error } = await run(
      `${origin.base}/to-metadata`,
      { allowLinkLocal: true, readTimeoutSeconds: 1 },
      10,
    );
    expect(error?.code).toBe('SOURCE_UNREACHABLE');
  });

  it('a redirect to a host off the allow-list is UNSUPPORTED_SOURCE, and that host is never asked', async () => {
    const before = other.requests.length;
    const { error } = await run(`${origin.base}/to-other-host`, {
      allowedHosts: [`127.0.0.1:${origin.port}`],
    });
    expect(error?.code).toBe('UNSUPPORTED_SOURCE');
    expect(error?.message).toContain('localhost');
    expect(other.requests.length).toBe(before);
    // Without an allow-list the same redirect is fine.
    const open = await run(`${origin.base}/to-other-host`);
    expect(open.error).toBeNull();
    expect(other.requests.length).toBeGreaterThan(before);
  });

  it('a source host off the allow-list is refused before any request', async () => {
    const before = other.requests.length;
    const { error } = await run(`http://localhost:${other.port}/landscape.mp4`, {
      allowedHosts: [`127.0.0.1:${origin.port}`],
    });
    expect(error?.code).toBe('UNSUPPORTED_SOURCE');
    expect(other.requests.length).toBe(before);
  });

  it('a redirect loop is SOURCE_UNREACHABLE', async () => {
    const { error } = await run(`${origin.base}/loop`);
    expect(error?.code).toBe('SOURCE_UNREACHABLE');
    expect(error?.message).toContain('redirects more than');
  });

  it('a server error is SOURCE_UNREACHABLE', async () => {
    const { error } = await run(`${origin.base}/broken`);
    expect(error?.code).toBe('SOURCE_UNREACHABLE');
  });

  it('an endless body stops at the size limit with UNSUPPORTED_SOURCE', async () => {
    const { error, ms } = await run(`${origin.base}/endless`, { maxBytes: 2 * 1024 * 1024 });
    expect(error?.code).toBe('UNSUPPORTED_SOURCE');
    expect(error?.message).toContain('more than the limit');
    expect(ms).toBeLessThan(10_000);
  });

  it('a declared size over the limit is refused before its body is read', async () => {
    const { error } = await run(`${origin.base}/huge-declared`, { maxBytes: 1024 ** 3 });
    expect(error?.code).toBe('UNSUPPORTED_SOURCE');
    expect(error?.message).toContain(`${50 * 1024 ** 3} bytes`);
  });

  it('a source just under the limit is read', async () => {
    const { error } = await run(`${origin.base}/landscape.mp4`, { maxBytes: video.length });
    expect(error).toBeNull();
  });

  it('a stalled source is SOURCE_UNREACHABLE after the read timeout', async () => {
    const { error, ms } = await run(`${origin.base}/stall`, { readTimeoutSeconds: 1 }, 20);
    expect(error?.code).toBe('SOURCE_UNREACHABLE');
    expect(error?.message).toContain('sent nothing for 1 s');
    expect(ms).toBeLessThan(10_000);
  });

  it.each([
    ['drops its connection', '/breaks-off.mp4', 'broke off after'],
    ['goes silent', '/stalls.mp4', 'sent nothing for 1 s'],
  ])('a source that %s in the middle of a body is SOURCE_UNREACHABLE, and retried', async (_, path, why) => {
    const { error } = await run(`${origin.base}${path}`, { readTimeoutSeconds: 1 }, 20);
    expect(error?.code).toBe('SOURCE_UNREACHABLE');
    expect(error?.retryable).toBe(true);
    expect(error?.message).toContain(why);
  });

  it.each([
    ['a plain server', '/damaged.mp4'],
    ["Strapi's static server", '/strapi/damaged.mp4'],
  ])('a damaged file served whole by %s is DAMAGED_SOURCE, and not retried', async (_, path) => {
    const { error } = await run(`${origin.base}${path}`, {}, 20, { start: 3, duration: 2 });
    expect(error?.code).toBe('DAMAGED_SOURCE');
    expect(error?.retryable).toBe(false);
  });

  it("a range at or past the source's end is end of file, whatever the server answers to it", async () => {
    const url = `${origin.base}/strapi/landscape.mp4`;
    // What Strapi's static server answers, and Node's HTTP parser refuses.
    await expect(fetch(url, { headers: { range: `bytes=${video.length + 500}-` } })).rejects.toThrow();
    const policy: SourcePolicy = { allowFile: false, allowedNetworks: LOOPBACK };
    const gateway = await openSource(resolveSource(url, policy), policy);
    try {
      const whole = await fetch(gateway.source.input, { headers: { range: 'bytes=0-' } });
      expect(whole.status).toBe(206);
      expect((await whole.arrayBuffer()).byteLength).toBe(video.length);
      for (const start of [video.length, video.length + 500]) {
        const past = await fetch(gateway.source.input, { headers: { range: `bytes=${start}-` } });
        expect(past.status).toBe(416);
        expect(past.headers.get('content-range')).toBe(`bytes */${video.length}`);
      }
      // Nothing there is a fault of the source's: a job would fail on what ffmpeg makes of the file.
      expect(gateway.violation()).toBeNull();
    } finally {
      await gateway.close();
    }
  });

  it('a source that drips never stalls, so the job deadline stops it with TIMEOUT', async () => {
    const { error, ms } = await run(`${origin.base}/drip`, { readTimeoutSeconds: 1 }, 3);
    expect(error?.code).toBe('TIMEOUT');
    expect(ms).toBeLessThan(8_000);
    expect(await ffmpegChildren()).toEqual([]);
  });

  it.each([
    'ftp://127.0.0.1/video.mp4',
    'gopher://127.0.0.1/video.mp4',
    'data:video/mp4;base64,AAAA',
    'javascript:alert(1)',
    'rtmp://127.0.0.1/live',
    'concat:/etc/passwd|/etc/passwd',
    'subfile,,start,0,end,0,,:/etc/passwd',
    'file:///etc/passwd',
    '/etc/passwd',
  ])('%s is UNSUPPORTED_SOURCE (file sources off)', async (url) => {
    const { error } = await run(url);
    expect(error?.code).toBe('UNSUPPORTED_SOURCE');
  });

  it.each([
    'http://2852039166/latest/meta-data/',
    'http://0xA9FEA9FE/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/latest/meta-data/',
    'http://169.254.169.254./latest/meta-data/',
  ])('%s (the metadata address in disguise) is UNSUPPORTED_SOURCE', async (url) => {
    const { error } = await run(url);
    expect(error?.code).toBe('UNSUPPORTED_SOURCE');
    expect(error?.message).toContain('link-local');
  });

  describe('internal addresses, refused unless listed', () => {
    // Each of these reaches the origin server on this machine (or would, through a NAT64 gateway).
    it.each([
      ['loopback', (port: number) => `http://127.0.0.1:${port}/landscape.mp4`, 'loopback'],
      ['a name for loopback', (port: number) => `http://localhost:${port}/landscape.mp4`, 'loopback'],
      [
        'IPv4-mapped loopback',
        (port: number) => `http://[::ffff:127.0.0.1]:${port}/landscape.mp4`,
        'address',
      ],
      ['unspecified', (port: number) => `http://0.0.0.0:${port}/landscape.mp4`, 'unspecified'],
      ['NAT64 of loopback', (port: number) => `http://[64:ff9b::7f00:1]:${port}/landscape.mp4`, 'NAT64'],
      ['private', (port: number) => `http://10.255.255.1:${port}/landscape.mp4`, 'private'],
    ])('%s is UNSUPPORTED_SOURCE and the server is never asked', async (_, url, kind) => {
      const before = origin.requests.length;
      const { error, ms } = await run(url(origin.port), { allowedNetworks: [] });
      expect(error?.code).toBe('UNSUPPORTED_SOURCE');
      expect(error?.message).toContain(kind);
      expect(origin.requests.length).toBe(before);
      expect(ms).toBeLessThan(2000);
    });

    it('a host listed with its port may be on loopback; the same host on another port may not', async () => {
      const allowedHosts = [`127.0.0.1:${origin.port}`];
      const ok = await run(`${origin.base}/landscape.mp4`, { allowedNetworks: [], allowedHosts });
      expect(ok.error).toBeNull();
      const before = other.requests.length;
      const refused = await run(`http://127.0.0.1:${other.port}/landscape.mp4`, {
        allowedNetworks: [],
        allowedHosts,
      });
      expect(refused.error?.code).toBe('UNSUPPORTED_SOURCE');
      expect(refused.error?.message).toContain('not in the allowed hosts');
      expect(other.requests.length).toBe(before);
      // An entry without a port means the scheme's default (80), not any port.
      const noPort = await run(`${origin.base}/landscape.mp4`, {
        allowedNetworks: [],
        allowedHosts: ['127.0.0.1'],
      });
      expect(noPort.error?.code).toBe('UNSUPPORTED_SOURCE');
    });
  });

  it('the connection-time lookup refuses link-local and internal answers and passes listed ones', async () => {
    const resolve = (host: string, policy: Partial<SourcePolicy> = {}) =>
      new Promise<{ err: Error | null; address: unknown }>((done) => {
        const refused: Error[] = [];
        policyLookup({ allowFile: false, ...policy }, (e) => refused.push(e))(host, {}, (err, address) =>
          done({ err: err ?? refused[0] ?? null, address }),
        );
      });
    expect((await resolve('169.254.169.254')).err).toMatchObject({ code: 'UNSUPPORTED_SOURCE' });
    expect((await resolve('::ffff:169.254.169.254')).err).toMatchObject({ code: 'UNSUPPORTED_SOURCE' });
    expect(await resolve('169.254.169.254', { allowLinkLocal: true })).toMatchObject({
      err: null,
      address: '169.254.169.254',
    });
    // localhost is looked up at connect time: loopback, refused unless listed.
    expect((await resolve('localhost')).err?.message).toContain('loopback');
    expect((await resolve('localhost', { allowedHosts: ['localhost:8080'] })).err).toBeNull();
    expect(await resolve('127.0.0.1', { allowedNetworks: LOOPBACK })).toMatchObject({
      err: null,
      address: '127.0.0.1',
    });
  });

  it('reads the first byte a Range header asks for', () => {
    expect(rangeStart('bytes=0-')).toBe(0);
    expect(rangeStart('bytes=1500-')).toBe(1500);
    expect(rangeStart('bytes=10-20')).toBe(10);
    expect(rangeStart('bytes=-500')).toBeNull();
    expect(rangeStart('bytes=0-1,5-9')).toBeNull();
    expect(rangeStart(undefined)).toBeNull();
  });

  it('reads the declared size from Content-Range, or from Content-Length of a whole body', () => {
    expect(declaredSize({ statusCode: 206, headers: { 'content-range': 'bytes 0-99/12345' } })).toBe(12345);
    expect(declaredSize({ statusCode: 206, headers: { 'content-range': 'bytes 0-99/*' } })).toBeNull();
    expect(declaredSize({ statusCode: 200, headers: { 'content-length': '777' } })).toBe(777);
    expect(declaredSize({ statusCode: 200, headers: {} })).toBeNull();
  });
});

describe('source options', () => {
  it('are read from the environment and validated', () => {
    const env = {
      DATABASE_URL: 'postgres://x',
      DYNAMIC_IMAGE_MAX_SOURCE_BYTES: '1048576',
      DYNAMIC_IMAGE_SOURCE_READ_TIMEOUT_SECONDS: '5',
      DYNAMIC_IMAGE_ALLOWED_HOSTS: 'cms.internal, media.example.com',
    };
    expect(parseWorkerOptions(workerOptionsFromEnv(env) as never)).toMatchObject({
      maxSourceBytes: 1048576,
      sourceReadTimeoutSeconds: 5,
      allowedHosts: ['cms.internal', 'media.example.com'],
    });
    expect(() =>
      parseWorkerOptions(workerOptionsFromEnv({ ...env, DYNAMIC_IMAGE_MAX_SOURCE_BYTES: 'lots' }) as never),
    ).toThrow(/maxSourceBytes/);
    expect(() =>
      parseWorkerOptions(
        workerOptionsFromEnv({ ...env, DYNAMIC_IMAGE_SOURCE_READ_TIMEOUT_SECONDS: '0' }) as never,
      ),
    ).toThrow(/sourceReadTimeoutSeconds/);
  });
});
