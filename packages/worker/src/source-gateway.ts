// ffmpeg follows HTTP redirects on its own (to any host, up to 8 hops), resolves names again, and
// reads bodies without a size limit. So ffmpeg never talks to a source host itself: it reads from a
// gateway on loopback, one per job, that makes every request under the source policy: each redirect
// hop is checked for scheme, allowed host and link-local address (at connect time, so DNS rebinding
// gains nothing), declared sizes and bodies are capped, and a stalled read is cut.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { DynamicImageError } from '@dynamic-image/core';
import {
  addressRefusal,
  DEFAULT_MAX_SOURCE_BYTES,
  DEFAULT_SOURCE_READ_TIMEOUT_SECONDS,
  hostAllowed,
  inputOptions,
  type ResolvedSource,
  type SourcePolicy,
} from './source.js';

export const MAX_REDIRECTS = 5;

/** Throws when a URL (the source or a redirect target) breaks the policy. */
export function checkSourceUrl(url: URL, policy: SourcePolicy, what = 'The source'): void {
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'http' && scheme !== 'https') {
    throw new DynamicImageError(
      'UNSUPPORTED_SOURCE',
      `${what} leads to ${scheme}:, and only http(s) is followed`,
      {
        scheme,
      },
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!hostAllowed(url, policy)) {
    throw new DynamicImageError(
      'UNSUPPORTED_SOURCE',
      `${what} leads to host ${url.host}, which is not in the allowed hosts`,
      {
        host: url.host,
      },
    );
  }
  // An address written in the URL is never looked up, so it is checked here.
  const why = isIP(host) ? addressRefusal(host, host, policy) : null;
  if (why) {
    throw new DynamicImageError('UNSUPPORTED_SOURCE', `${what} leads to ${host}, ${why}`, {
      host,
      address: host,
    });
  }
}

/** A DNS lookup that refuses answers the policy refuses (addressRefusal), used for the connection itself. */
export function policyLookup(
  policy: SourcePolicy,
  onRefused: (err: DynamicImageError) => void,
): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const blocked = list
        .map((a) => ({ address: a.address, why: addressRefusal(a.address, hostname, policy) }))
        .find((a) => a.why);
      if (blocked) {
        const refused = new DynamicImageError(
          'UNSUPPORTED_SOURCE',
          `The source host ${hostname} resolves to ${blocked.why} (${blocked.address})`,
          { host: hostname, address: blocked.address },
        );
        onRefused(refused);
        return callback(refused, '', 0);
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

/** The total size an answer declares: Content-Range's total, or Content-Length of a whole body. */
export function declaredSize(res: Pick<IncomingMessage, 'statusCode' | 'headers'>): number | null {
  const total = /\/(\d+)\s*$/.exec(res.headers['content-range'] ?? '')?.[1];
  if (total) return Number(total);
  if (res.statusCode === 200 && res.headers['content-length']) return Number(res.headers['content-length']);
  return null;
}

/** The first byte a Range header asks for (`bytes=N-` or `bytes=N-M`), or null for anything else. */
export function rangeStart(range: string | undefined): number | null {
  const match = /^bytes=(\d+)-\d*$/.exec(range?.trim() ?? '');
  return match ? Number(match[1]) : null;
}

export interface SourceGateway {
  /** The source as ffmpeg and ffprobe open it. */
  source: ResolvedSource;
  /** The first policy breach or fetch failure the gateway saw; it explains a failed probe or encode. */
  violation(): DynamicImageError | null;
  close(): Promise<void>;
}

/**
 * Serves one http(s) source to ffmpeg on 127.0.0.1, forwarding Range requests and following
 * redirects itself, under the policy. File sources need none and are returned as they are.
 */
export async function openSource(source: ResolvedSource, policy: SourcePolicy): Promise<SourceGateway> {
  if (source.kind !== 'http') {
    return { source, violation: () => null, close: async () => {} };
  }
  const maxBytes = policy.maxBytes ?? DEFAULT_MAX_SOURCE_BYTES;
  const readTimeoutMs = (policy.readTimeoutSeconds ?? DEFAULT_SOURCE_READ_TIMEOUT_SECONDS) * 1000;
  let violation: DynamicImageError | null = null;
  const breach = (err: DynamicImageError) => {
    violation ??= err;
    return err;
  };
  const lookup = policyLookup(policy, breach);
  const origin = new URL(source.input);
  checkSourceUrl(origin, policy);

  /** One upstream request, following redirects under the policy. */
  const fetchUpstream = (url: URL, method: string, range: string | undefined, hops: number) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      try {
        checkSourceUrl(url, policy, hops === 0 ? 'The source' : `A redirect of the source (hop ${hops})`);
      } catch (err) {
        return reject(breach(err as DynamicImageError));
      }
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = request(url, {
        method,
        lookup,
        // No pooled sockets: every connection goes through the policy lookup.
        agent: false,
        headers: { ...(range ? { range } : {}), 'user-agent': 'dynamic-image-worker', accept: '*/*' },
        timeout: readTimeoutMs,
      });
      req.on('timeout', () => {
        req.destroy(
          breach(
            new DynamicImageError(
              'SOURCE_UNREACHABLE',
              `The source sent nothing for ${readTimeoutMs / 1000} s (${url.host})`,
            ),
          ),
        );
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (hops >= MAX_REDIRECTS) {
            return reject(
              breach(
                new DynamicImageError(
                  'SOURCE_UNREACHABLE',
                  `The source redirects more than ${MAX_REDIRECTS} times`,
                ),
              ),
            );
          }
          let next: URL;
          try {
            next = new URL(res.headers.location, url);
          } catch {
            return reject(
              breach(new DynamicImageError('SOURCE_UNREACHABLE', `The source redirects to an invalid URL`)),
            );
          }
          return resolve(fetchUpstream(next, method, range, hops + 1));
        }
        resolve(res);
      });
      req.end();
    });

  // The source's own file name stays at the end of the path: ffmpeg guesses some formats from it.
  const name =
    origin.pathname
      .split('/')
      .pop()
      ?.replace(/[^\w.-]/g, '_') || 'source';
  const path = `/source/${name}`;
  // The source's size, once an answer has declared it.
  let knownSize: number | null = null;
  const server: Server = createServer((req, res) => {
    if (req.url !== path || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    const start = rangeStart(req.headers.range);
    if (knownSize !== null && start !== null && start >= knownSize) {
      // Nothing lies there: the answer is 416 (RFC 9110), end of file to ffmpeg, whose demuxer then
      // reports a cut file as damaged. The source isn't asked: Strapi's static server (koa-range)
      // answers such a range with 206, `Content-Range: bytes 1500-999/1000` and `Content-Length: -500`,
      // which Node's parser refuses, and that would read as an unreachable source, retried in vain.
      res.writeHead(416, { 'content-range': `bytes */${knownSize}` }).end();
      return;
    }
    fetchUpstream(origin, req.method, req.headers.range, 0).then(
      (upstream) => {
        const size = declaredSize(upstream);
        if (size !== null) knownSize = size;
        if (size !== null && size > maxBytes) {
          upstream.destroy();
          breach(
            new DynamicImageError(
              'UNSUPPORTED_SOURCE',
              `The source is ${size} bytes, over the limit of ${maxBytes}`,
              {
                size,
                limit: maxBytes,
              },
            ),
          );
          res.writeHead(413).end();
          return;
        }
        const headers: Record<string, string> = {};
        for (const name of [
          'content-type',
          'content-length',
          'content-range',
          'accept-ranges',
          'last-modified',
          'etag',
        ]) {
          const value = upstream.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        res.writeHead(upstream.statusCode ?? 502, headers);
        let sent = 0;
        upstream.on('data', (chunk: Buffer) => {
          sent += chunk.length;
          if (sent > maxBytes) {
            breach(
              new DynamicImageError(
                'UNSUPPORTED_SOURCE',
                `The source sent more than the limit of ${maxBytes} bytes`,
                {
                  limit: maxBytes,
                },
              ),
            );
            upstream.destroy();
            res.destroy();
          }
        });
        upstream.on('error', (err) => {
          // The source hung up in the middle of the body. ffmpeg only sees a short read, which it
          // reports as a damaged file; it is a network fault, and worth another try. (The gateway's
          // own cuts, above and below, destroy without an error and have already said why.)
          breach(
            new DynamicImageError(
              'SOURCE_UNREACHABLE',
              `The source's answer broke off after ${sent} bytes: ${err.message}`,
            ),
          );
          res.destroy();
        });
        upstream.pipe(res);
        res.on('close', () => upstream.destroy());
      },
      (err: Error) => {
        if (!(err instanceof DynamicImageError)) {
          breach(
            new DynamicImageError('SOURCE_UNREACHABLE', `The source could not be fetched: ${err.message}`),
          );
        }
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  // ffmpeg only ever speaks plain HTTP to loopback, so https and tls are off its list.
  const readTimeoutUs = String((readTimeoutMs + 5000) * 1000);
  return {
    source: {
      kind: 'http',
      input: `http://127.0.0.1:${port}${path}`,
      inputOptions: inputOptions('http,tcp', ['-rw_timeout', readTimeoutUs]),
    },
    violation: () => violation,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
