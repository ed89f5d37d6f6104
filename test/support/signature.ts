// Signs a worker request by hand, as a worker does (packages/worker/src/http-delivery.ts), with every
// field open to the test: a timestamp in the past or future, a chosen nonce, a tampered part.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { formatSignatureHeader, SIGNATURE_NONCE_HEX_LENGTH, signingString } from '@dynamic-image/core';

export interface SignOptions {
  method?: string;
  path: string;
  body: Uint8Array;
  resultHeader?: string;
  /** Seconds; now by default. */
  timestamp?: number;
  nonce?: string;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function signature(secret: string, options: SignOptions): string {
  const timestamp = options.timestamp ?? nowSeconds();
  const nonce = options.nonce ?? randomBytes(SIGNATURE_NONCE_HEX_LENGTH / 2).toString('hex');
  const hmacHex = createHmac('sha256', secret)
    .update(
      signingString({
        timestamp,
        nonce,
        method: options.method ?? 'POST',
        path: options.path,
        bodySha256: createHash('sha256').update(options.body).digest('hex'),
        resultHeader: options.resultHeader,
      }),
    )
    .digest('hex');
  return formatSignatureHeader({ timestamp, nonce, hmacHex });
}
