import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  isFresh,
  parseSignatureHeader,
  SIGNATURE_TOLERANCE_SECONDS,
  signingString,
} from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { ApiError } from '../errors';

/** Checks a worker's HMAC: the right secret, a fresh timestamp, and not seen before. */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  // Signatures seen within the tolerance window; a replay inside it is refused, one outside it is stale.
  const seen = new Map<string, number>();

  return {
    verify(header: string | undefined, method: string, path: string, body: Uint8Array): void {
      const secret = strapi.config.get('plugin::dynamic-image.workerSecret') as string;
      const signature = parseSignatureHeader(header);
      if (!signature)
        throw new ApiError(
          401,
          'Unauthorized.Signature',
          'A valid x-dynamic-image-signature header is required',
        );
      const now = Math.floor(Date.now() / 1000);
      if (!isFresh(signature.timestamp, now))
        throw new ApiError(401, 'Unauthorized.SignatureExpired', 'The signature has expired');
      const bodySha = createHash('sha256').update(body).digest('hex');
      const expected = createHmac('sha256', secret)
        .update(signingString(signature.timestamp, method, path, bodySha))
        .digest();
      const given = Buffer.from(signature.hmacHex, 'hex');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new ApiError(401, 'Unauthorized.Signature', 'The signature does not match');
      }
      for (const [key, at] of seen) if (at < now - SIGNATURE_TOLERANCE_SECONDS) seen.delete(key);
      if (seen.has(signature.hmacHex))
        throw new ApiError(401, 'Unauthorized.SignatureReplayed', 'The signature was already used');
      seen.set(signature.hmacHex, now);
    },
  };
};
