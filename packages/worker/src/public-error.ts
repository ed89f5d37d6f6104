// The one place where a failure's message is made fit to leave the worker. What the CMS receives
// reaches content-API callers and webhooks, so it must not carry the worker's temporary paths, the
// source gateway's loopback URL, internal addresses or ffmpeg's pointers; the worker's own log keeps
// the full text.
import type { JobFailure } from '@dynamic-image/core';

const RULES: Array<[RegExp, string]> = [
  // Any URL: the gateway's http://127.0.0.1:<port>/source/…, a redirect target, the CMS's endpoints.
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>)]+/gi, '<url>'],
  // Absolute paths of two segments or more (temporary folders, palettes, local sources).
  [/(^|[\s'"(=:[])\/(?:[^\s/'"),:]+\/)+[^\s/'"),:]*/g, '$1<path>'],
  // ffmpeg's context pointers ("[mov,mp4 @ 0x55d5c0a3f2c0]").
  [/\b0x[0-9a-f]{6,}\b/gi, '0x…'],
  // IPv4 addresses, with a port if any.
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<address>'],
  // IPv6 addresses: written with "::" (times like 00:00:01 never have it), or all eight groups.
  [
    /\[?\b(?:[0-9a-f]{0,4}:){1,7}:[0-9a-f:.]*\]?(?::\d+)?|\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b/gi,
    '<address>',
  ],
];

export function scrubMessage(message: string): string {
  return RULES.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), message);
}

/** The failure as the CMS, its API and its webhooks see it; details naming hosts, addresses or paths are dropped. */
export function publicFailure(failure: JobFailure): JobFailure {
  const details = failure.details
    ? Object.fromEntries(
        Object.entries(failure.details).filter(([key]) => !['address', 'host', 'path'].includes(key)),
      )
    : {};
  return {
    code: failure.code,
    message: scrubMessage(failure.message),
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}
