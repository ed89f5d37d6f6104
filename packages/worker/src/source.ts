import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamicImageError } from '@dynamic-image/core';

export interface SourcePolicy {
  /** Local paths and file: URLs; off for workers that only take sources from a CMS. */
  allowFile: boolean;
  /** When set, http(s) sources must be on one of these hosts. */
  allowedHosts?: string[] | undefined;
  /** Link-local addresses, where clouds serve instance metadata and credentials; refused unless set. */
  allowLinkLocal?: boolean | undefined;
  /** The largest http(s) source: a larger declared size is refused, and no body is read past it. */
  maxBytes?: number | undefined;
  /** An http(s) source that sends nothing for this long fails. */
  readTimeoutSeconds?: number | undefined;
}

export const DEFAULT_MAX_SOURCE_BYTES = 4 * 1024 ** 3;
export const DEFAULT_SOURCE_READ_TIMEOUT_SECONDS = 20;

// 169.254.0.0/16 holds the cloud metadata endpoint (169.254.169.254); fe80::/10 and AWS's fd00:ec2::254 likewise.
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6');

export function isLinkLocal(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return LINK_LOCAL.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Refuses http(s) sources whose host resolves to a link-local address, so a crafted URL can't make a
 * worker fetch cloud credentials. This early check gives a clear error; the source gateway checks
 * again at each connection and each redirect (source-gateway.ts).
 */
export async function checkSourceAddress(source: ResolvedSource, policy: SourcePolicy): Promise<void> {
  if (source.kind !== 'http' || policy.allowLinkLocal) return;
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
  const blocked = addresses.find((a) => isLinkLocal(a.address));
  if (blocked) {
    throw new DynamicImageError(
      'UNSUPPORTED_SOURCE',
      `The source host ${host} is a link-local address (${blocked.address})`,
      {
        host,
        address: blocked.address,
      },
    );
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
    const host = new URL(url).hostname;
    if (policy.allowedHosts && !policy.allowedHosts.includes(host)) {
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
