import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  isFresh,
  type ParsedSignature,
  parseSignatureHeader,
  SIGNATURE_TOLERANCE_SECONDS,
  type SignedRequest,
  signingString,
} from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { deleteExpiredRows } from '../data/expired-rows';
import { ApiError } from '../errors';

const USED = 'plugin::dynamic-image.used-signature';
const PRUNE_EVERY_MS = 60_000;

/**
 * Checks a worker's HMAC in two steps: `admit` before the body is read (a header of the right shape
 * and a fresh timestamp, so an anonymous caller is turned away without sending a byte), `verify`
 * once the body is hashed (the right secret, and never seen before by any CMS instance).
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  let prunedAt = 0;

  /** Old rows go: a signature past `t + tolerance` is refused as stale anyway. */
  async function prune(table: string, expiresAt: string): Promise<void> {
    if (Date.now() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = Date.now();
    await deleteExpiredRows(strapi.db.connection, table, expiresAt);
  }

  return {
    admit(header: string | undefined): ParsedSignature {
      const signature = parseSignatureHeader(header);
      if (!signature)
        throw new ApiError(
          401,
          'Unauthorized.Signature',
          'A valid x-dynamic-image-signature header (t=<seconds>,n=<32 hex>,v1=<64 hex>) is required',
        );
      if (!isFresh(signature.timestamp, Math.floor(Date.now() / 1000)))
        throw new ApiError(401, 'Unauthorized.SignatureExpired', 'The signature has expired');
      return signature;
    },

    async verify(
      signature: ParsedSignature,
      request: Omit<SignedRequest, 'timestamp' | 'nonce'>,
    ): Promise<void> {
      const secret = strapi.config.get('plugin::dynamic-image.workerSecret') as string;
      const expected = createHmac('sha256', secret)
        .update(signingString({ ...request, timestamp: signature.timestamp, nonce: signature.nonce }))
        .digest();
      const given = Buffer.from(signature.hmacHex, 'hex');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new ApiError(401, 'Unauthorized.Signature', 'The signature does not match');
      }
      // Kept in Postgres until the timestamp can no longer pass `admit`: a replay is refused by every
      // instance, at any time. The unique column decides between two instances receiving it at once.
      const meta = strapi.db.metadata.get(USED);
      const column = (name: string) => (meta.attributes[name] as { columnName?: string }).columnName ?? name;
      const inserted = await strapi.db
        .connection(meta.tableName)
        .insert({
          [column('hmac')]: signature.hmacHex,
          [column('expiresAt')]: new Date((signature.timestamp + SIGNATURE_TOLERANCE_SECONDS + 1) * 1000),
        })
        .onConflict(column('hmac'))
        .ignore()
        .returning('id');
      if (inserted.length === 0)
        throw new ApiError(401, 'Unauthorized.SignatureReplayed', 'The signature was already used');
      await prune(meta.tableName, column('expiresAt'));
    },
  };
};
