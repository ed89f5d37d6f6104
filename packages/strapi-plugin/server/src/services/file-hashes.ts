// The content hash of a Media Library video: Strapi's `file.hash` is the slugified name plus random
// bytes, so two uploads of the same bytes differ there. The sha256 of the bytes is taken while the
// upload service still holds them (any provider), or else read once from the file's URL, within the
// `contentHash` limits, since the read sits on the job-submit path.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DynamicImageError } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { contentHashOf, type PluginConfig } from '../config';
import { publicUrl } from '../utils/public-url';

const HASH = 'plugin::dynamic-image.file-hash';

type FileRow = { id: number; url?: string; size?: number | string; provider?: string; mime?: string };

export async function sha256Of(stream: NodeJS.ReadableStream | Readable): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(stream as NodeJS.ReadableStream, hash);
  return hash.digest('hex');
}

const sameSize = (a: unknown, b: unknown) => Math.abs(Number(a) - Number(b)) < 0.005;

function tooLarge(maxBytes: number, declared?: number): DynamicImageError {
  return new DynamicImageError(
    'UNSUPPORTED_SOURCE',
    `${declared === undefined ? 'The video sent more than' : `The video is ${declared} bytes, over`} the ${maxBytes} bytes the CMS reads to take its content hash (contentHash.maxBytes)`,
    { rule: 'content-hash', limit: 'contentHash.maxBytes', max: maxBytes, ...(declared ? { declared } : {}) },
  );
}

/**
 * Reads a URL to its sha256: the whole read (connection, headers, body) within `timeoutSeconds`, and no
 * more than `maxBytes` (a larger declared length is refused before the body is read).
 */
async function hashUrl(url: URL, { maxBytes, timeoutSeconds }: { maxBytes: number; timeoutSeconds: number }) {
  const signal = AbortSignal.timeout(timeoutSeconds * 1000);
  try {
    const response = await fetch(url, { signal });
    if (!response.ok || !response.body) throw new Error(`GET ${url.pathname} answered ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      await response.body.cancel();
      throw tooLarge(maxBytes, declared);
    }
    const hash = createHash('sha256');
    let read = 0;
    // Leaving the loop early (a throw) cancels the body, which closes the connection.
    for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream)) {
      read += (chunk as Buffer).length;
      if (read > maxBytes) throw tooLarge(maxBytes);
      hash.update(chunk as Buffer);
    }
    return hash.digest('hex');
  } catch (err) {
    if (!signal.aborted || err instanceof DynamicImageError) throw err;
    throw new DynamicImageError(
      'SOURCE_UNREACHABLE',
      `The video could not be read within ${timeoutSeconds} s to take its content hash (contentHash.timeoutSeconds)`,
      { rule: 'content-hash', limit: 'contentHash.timeoutSeconds', timeoutSeconds },
    );
  }
}

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  /** Before the upload service writes a video's row: its bytes are still at hand (`getStream`). */
  async fromUpload(data: Record<string, unknown> | undefined): Promise<string | null> {
    if (!data || !String(data.mime ?? '').startsWith('video/')) return null;
    const getStream = data.getStream as (() => NodeJS.ReadableStream) | undefined;
    if (typeof getStream !== 'function') return null;
    try {
      return await sha256Of(getStream());
    } catch (err) {
      strapi.log.warn(
        `[dynamic-image] could not hash upload ${String(data.name)}: ${(err as Error).message}`,
      );
      return null;
    }
  },

  async remember(file: FileRow, sha256: string): Promise<void> {
    const data = { sha256, size: file.size ?? null, url: file.url ?? null };
    const existing = await strapi.db.query(HASH).findOne({ where: { fileId: file.id } });
    if (existing) await strapi.db.query(HASH).update({ where: { id: existing.id }, data });
    else await strapi.db.query(HASH).create({ data: { fileId: file.id, ...data } });
  },

  /**
   * The file's content hash: the one stored at upload (while the file's URL and size are unchanged),
   * else read from the file's URL once (files uploaded before the plugin, or written around the
   * upload service). Null when the file can't be read; the caller then keys on the file itself.
   * Throws a DynamicImageError when the read broke a `contentHash` limit: the job fails with its code.
   */
  async of(file: FileRow): Promise<string | null> {
    const stored = await strapi.db.query(HASH).findOne({ where: { fileId: file.id } });
    if (stored && stored.url === (file.url ?? null) && sameSize(stored.size, file.size)) return stored.sha256;
    const limits = contentHashOf(strapi.config.get('plugin::dynamic-image') as PluginConfig);
    try {
      // Private providers (S3 with ACLs…) hand out signed URLs; others return the file as is.
      const signed = (await strapi.plugin('upload').service('file').signFileUrls(file)) as FileRow;
      const sha256 = await hashUrl(new URL(String(signed.url), publicUrl(strapi)), limits);
      await this.remember(file, sha256);
      return sha256;
    } catch (err) {
      if (err instanceof DynamicImageError) throw err;
      strapi.log.warn(
        `[dynamic-image] could not read video ${file.id} to hash it: ${(err as Error).message}`,
      );
      return null;
    }
  },
});
