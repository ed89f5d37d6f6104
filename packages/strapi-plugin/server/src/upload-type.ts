// The type of an upload is read from its bytes (file-type, the library @strapi/upload uses), never
// taken from the client, and checked against `plugin::upload.security` like Strapi's own upload.
import type { Readable } from 'node:stream';
import { type UploadSecurity, videoUploadRefusal } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';

/** What file-type reads at most; the same window @strapi/upload sniffs. */
const SNIFF_BYTES = 4100;

export function uploadSecurity(strapi: Core.Strapi): UploadSecurity {
  // An array path: 'plugin::upload' is one key (a dotted path would split it).
  const config = strapi.config.get(['plugin::upload', 'security'] as unknown as string, {}) as unknown;
  return config && typeof config === 'object' ? (config as UploadSecurity) : {};
}

export async function sniffFile(path: string): Promise<string | undefined> {
  return (await fileTypeFromFile(path))?.mime;
}

/** Reads the stream's first bytes only, then closes it. */
export async function sniffStream(stream: Readable): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      chunks.push(buffer);
      length += buffer.length;
      if (length >= SNIFF_BYTES) break;
    }
  } finally {
    stream.destroy();
  }
  return (await fileTypeFromBuffer(Buffer.concat(chunks).subarray(0, SNIFF_BYTES)))?.mime;
}

/** Why this upload can't be taken as a video (null when it can), from its sniffed type. */
export function refusal(strapi: Core.Strapi, detected: string | undefined, declared?: string): string | null {
  return videoUploadRefusal({ detected, declared, security: uploadSecurity(strapi) });
}
