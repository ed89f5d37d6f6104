import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamicImageError } from '@dynamic-image/core';

export interface SourcePolicy {
  /** Local paths and file: URLs; off for workers that only take sources from a CMS. */
  allowFile: boolean;
  /**
   * When set, http(s) sources must be on one of these: `host` (the scheme's default port) or
   * `host:port`. Undefined: any host with a public address.
   */
  allowedHosts?: string[] | undefined;
  /** Loopback and private networks (CIDR) that any source host may resolve to. */
  allowedNetworks?: string[] | undefined;
  /** Link-local addresses, where clouds serve instance metadata and credentials; refused unless set. */
  allowLinkLocal?: boolean | undefined;
  /** The largest http(s) source: a larger declared size is refused, and no body is read past it. */
  maxBytes?: number | undefined;
  /** An http(s) source that sends nothing for this long fails. */
  readTimeoutSeconds?: number | undefined;
}

export const DEFAULT_MAX_SOURCE_BYTES = 4 * 1024 ** 3;
export const DEFAULT_SOURCE_READ_TIMEOUT_SECONDS = 20;

function blockList(v4: Array<[string, number]>, v6: Array<[string, number]>): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

// 169.254.0.0/16 holds the cloud metadata endpoint (169.254.169.254); fe80::/10 and AWS's fd00:ec2::254 likewise.
const LINK_LOCAL = blockList(
  [['169.254.0.0', 16]],
  [
    ['fe80::', 10],
    ['fd00:ec2::254', 128],
  ],
);

// Addresses a source from the internet has no business resolving to: they reach the worker's own
// machine or network (the database, the CMS's admin, a cache). Refused unless the host is listed.
// Node's BlockList also matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 rules.
const INTERNAL: Array<[string, BlockList]> = [
  ['loopback', blockList([['127.0.0.0', 8]], [['::1', 128]])],
  ['unspecified', blockList([['0.0.0.0', 8]], [['::', 128]])],
  [
    'private',
    blockList(
      [
        ['10.0.0.0', 8],
        ['172.16.0.0', 12],
        ['192.168.0.0', 16],
        ['100.64.0.0', 10],
        ['192.0.0.0', 24],
        ['198.18.0.0', 15],
      ],
      [['fc00::', 7]],
    ),
  ],
  ['IPv4-mapped', blockList([], [['::ffff:0:0', 96]])],
  [
    'NAT64',
    blockList(
      [],
      [
        ['64:ff9b::', 96],
        ['64:ff9b:1::', 48],
      ],
    ),
  ],
  ['multicast or reserved', blockList([['224.0.0.0', 3]], [['ff00::', 8]])],
];

export function isLinkLocal(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return LINK_LOCAL.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

const allowedNetworkLists = new Map<string, BlockList>();
function inAllowedNetworks(address: string, family: 'ipv4' | 'ipv6', networks: string[]): boolean {
  if (networks.length === 0) return false;
  const key = networks.join(',');
  let list = allowedNetworkLists.get(key);
  if (!list) {
    list = new BlockList();
    for (const cidr of networks) {
      const [net, prefix] = cidr.split('/') as [string, string];
      list.addSubnet(net, Number(prefix), isIP(net) === 6 ? 'ipv6' : 'ipv4');
    }
    allowedNetworkLists.set(key, list);
  }
  return list.check(address, family);
}

/**
 * `host`, `host:port` or `host:*` (IPv6 in brackets) of an allow-list entry; no port means the
 * scheme's default (80 or 443), `*` any port.
 */
function parseHostEntry(entry: string): { hostname: string; port: string | null } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+|\*))?$/.exec(entry.trim().toLowerCase());
  if (!match) return { hostname: entry.toLowerCase(), port: null };
  return { hostname: (match[1] as string).replace(/^\[|\]$/g, ''), port: match[2] ?? null };
}

const defaultPort = (url: URL) => (url.protocol === 'https:' ? '443' : '80');

/** Whether a URL's host and port are on the allow-list (true when there is none). */
export function hostAllowed(url: URL, policy: SourcePolicy): boolean {
  if (!policy.allowedHosts) return true;
  const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || defaultPort(url);
  return policy.allowedHosts.some((entry) => {
    const allowed = parseHostEntry(entry);
    if (allowed.hostname !== hostname) return false;
    return allowed.port === '*' || (allowed.port ?? defaultPort(url)) === port;
  });
}

/** Whether the policy names this host itself (then it may resolve to a loopback or private address). */
function hostListed(hostname: string, policy: SourcePolicy): boolean {
  const name = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (policy.allowedHosts ?? []).some((entry) => parseHostEntry(entry).hostname === name);
}

/**
 * Why an address a source host resolved to is refused, or null when it is fine: link-local unless
 * allowLinkLocal; loopback, private, unspecified, IPv4-mapped, NAT64 and reserved addresses unless
 * the host is listed by name or the address is in allowedNetworks.
 */
export function addressRefusal(address: string, hostname: string, policy: SourcePolicy): string | null {
  const version = isIP(address);
  if (version === 0) return null;
  const family = version === 6 ? 'ipv6' : 'ipv4';
  if (LINK_LOCAL.check(address, family)) return policy.allowLinkLocal ? null : 'a link-local address';
  const kind = INTERNAL.find(([, list]) => list.check(address, family))?.[0];
  if (!kind) return null;
  if (hostListed(hostname, policy) || inAllowedNetworks(address, family, policy.allowedNetworks ?? [])) {
    return null;
  }
  return `a ${kind} address`;
}

/** The refusal of a source whose host resolved to `address`. */
export function refusedAddress(hostname: string, address: string, why: string): DynamicImageError {
  return new DynamicImageError(
    'UNSUPPORTED_SOURCE',
    `The source host ${hostname} is ${why} (${address}); list it in allowedHosts or allowedNetworks to read from it`,
    { host: hostname, address },
  );
}

/**
 * Refuses http(s) sources whose host resolves to a refused address (addressRefusal), so a crafted
 * URL can't make a worker fetch cloud credentials or talk to its own network. This early check gives
 * a clear error; the source gateway checks again at each connection and each redirect
 * (source-gateway.ts), so DNS rebinding gains nothing.
 */
export async function checkSourceAddress(source: ResolvedSource, policy: SourcePolicy): Promise<void> {
  if (source.kind !== 'http') return;
  const host = new URL(source.input).hostname.replace(/^\[|\]$/g, '');
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  } catch (err) {
    throw new DynamicImageError(
      'SOURCE_UNREACHABLE',
      `The source host ${host} could not be resolved: ${(err as Error).message}`,
    );
  }
  for (const { address } of addresses) {
    const why = addressRefusal(address, host, policy);
    if (why) throw refusedAddress(host, address, why);
  }
}

export interface ResolvedSource {
  kind: 'file' | 'http';
  /** What ffmpeg and ffprobe open. */
  input: string;
  /** Options placed before `-i`, shared by ffprobe and ffmpeg. */
  inputOptions: string[];
}

// Demuxers for real video containers. Playlist and list demuxers (hls, concat, …) are left out so a
// crafted source can't make ffmpeg open other files or hosts.
export const VIDEO_DEMUXERS = [
  'mov',
  'matroska',
  'avi',
  'mpegts',
  'mpeg',
  'flv',
  'ogg',
  'asf',
  'gif',
  'h264',
  'hevc',
  'm4v',
  'mpegvideo',
  'ivf',
  'yuv4mpegpipe',
  'rawvideo',
  'mjpeg',
  // Audio-only formats, read so that an audio file fails as AUDIO_ONLY rather than as a refused format.
  'mp3',
  'aac',
  'flac',
  'wav',
];

export function inputOptions(protocols: string, extra: string[] = []): string[] {
  return ['-protocol_whitelist', protocols, '-format_whitelist', VIDEO_DEMUXERS.join(','), ...extra];
}

export function resolveSource(url: string, policy: SourcePolicy): ResolvedSource {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (!scheme || (scheme.length === 1 && /^[a-z]:[\\/]/i.test(url)) || isAbsolute(url)) {
    if (!policy.allowFile)
      throw new DynamicImageError('UNSUPPORTED_SOURCE', 'Local file sources are not allowed here');
    return { kind: 'file', input: resolve(url), inputOptions: inputOptions('file') };
  }
  if (scheme === 'file') {
    if (!policy.allowFile)
      throw new DynamicImageError('UNSUPPORTED_SOURCE', 'file: sources are not allowed here');
    return { kind: 'file', input: fileURLToPath(url), inputOptions: inputOptions('file') };
  }
  if (scheme === 'http' || scheme === 'https') {
    const parsed = new URL(url);
    if (!hostAllowed(parsed, policy)) {
      const host = parsed.host;
      throw new DynamicImageError('UNSUPPORTED_SOURCE', `Source host ${host} is not in the allowed hosts`, {
        host,
      });
    }
    // What ffmpeg opens directly is only a fallback: jobs read http(s) sources through the source
    // gateway (openSource), which enforces the policy on every request and redirect.
    return {
      kind: 'http',
      input: url,
      inputOptions: inputOptions('http,https,tcp,tls', ['-rw_timeout', '20000000']),
    };
  }
  throw new DynamicImageError(
    'UNSUPPORTED_SOURCE',
    `Source scheme ${scheme}: is not supported; use http(s) or a file`,
    {
      scheme,
    },
  );
}
