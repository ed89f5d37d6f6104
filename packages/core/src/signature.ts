// Worker → CMS requests are signed with an HMAC over a timestamp, a nonce, the request line, the body's
// SHA-256 and the result header. Core only builds and reads the strings; each side computes the HMAC
// (and draws the nonce) with its own crypto.

export const SIGNATURE_HEADER = 'x-dynamic-image-signature';
export const RESULT_HEADER = 'x-dynamic-image-result';
/** A signature older or newer than this is refused, so a captured request can't be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
/** Hex digits of the nonce: 128 random bits, so two requests signed in the same second still differ. */
export const SIGNATURE_NONCE_HEX_LENGTH = 32;

export interface SignedRequest {
  timestamp: number;
  /** Random per request: the signature is unique even for the same bytes sent twice in one second. */
  nonce: string;
  method: string;
  path: string;
  bodySha256: string;
  /** The x-dynamic-image-result header's value (result deliveries); '' when absent. */
  resultHeader?: string | undefined;
}

export interface ParsedSignature {
  timestamp: number;
  nonce: string;
  hmacHex: string;
}

/** What is signed, one field per line: timestamp, nonce, method, path, body SHA-256, result header. */
export function signingString(request: SignedRequest): string {
  const { timestamp, nonce, method, path, bodySha256, resultHeader = '' } = request;
  return `${timestamp}\n${nonce}\n${method.toUpperCase()}\n${path}\n${bodySha256}\n${resultHeader}`;
}

export function formatSignatureHeader(signature: ParsedSignature): string {
  return `t=${signature.timestamp},n=${signature.nonce},v1=${signature.hmacHex}`;
}

const HEADER = new RegExp(`^t=(\\d{1,12}),n=([0-9a-f]{${SIGNATURE_NONCE_HEX_LENGTH}}),v1=([0-9a-f]{64})$`);

/** The header's parts, or null unless it is exactly `t=<seconds>,n=<32 hex>,v1=<64 hex>`. */
export function parseSignatureHeader(header: string | undefined): ParsedSignature | null {
  const match = header ? HEADER.exec(header) : null;
  if (!match) return null;
  return { timestamp: Number(match[1]), nonce: match[2] as string, hmacHex: match[3] as string };
}

export function isFresh(
  timestamp: number,
  nowSeconds: number,
  tolerance = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  return Math.abs(nowSeconds - timestamp) <= tolerance;
}
