// Worker → CMS requests are signed with an HMAC over a timestamp and the body's SHA-256.
// Core only builds the strings; each side computes the HMAC with its own crypto.

export const SIGNATURE_HEADER = 'x-dynamic-image-signature';
export const RESULT_HEADER = 'x-dynamic-image-result';
/** A signature older or newer than this is refused, so a captured request can't be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** What is signed: the timestamp, the method, the path and the body's SHA-256, one per line. */
export function signingString(timestamp: number, method: string, path: string, bodySha256: string): string {
  return `${timestamp}\n${method.toUpperCase()}\n${path}\n${bodySha256}`;
}

export function formatSignatureHeader(timestamp: number, hmacHex: string): string {
  return `t=${timestamp},v1=${hmacHex}`;
}

export function parseSignatureHeader(
  header: string | undefined,
): { timestamp: number; hmacHex: string } | null {
  if (!header) return null;
  const parts = Object.fromEntries(
    header.split(',').map((part) => part.trim().split('=', 2) as [string, string]),
  );
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return null;
  return { timestamp, hmacHex: parts.v1 as string };
}

export function isFresh(
  timestamp: number,
  nowSeconds: number,
  tolerance = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  return Math.abs(nowSeconds - timestamp) <= tolerance;
}
