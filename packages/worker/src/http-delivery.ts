// Hands results, progress and failures to the CMS over HTTP, signed with the shared secret:
// a standalone worker shares no disk with the CMS.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  DynamicImageError,
  type DynamicImageJobData,
  encodeResultMetadata,
  type FailureBody,
  formatSignatureHeader,
  type ProgressBody,
  parseFailureBody,
  parseProgressBody,
  RESULT_HEADER,
  reportUrl,
  SIGNATURE_HEADER,
  SIGNATURE_NONCE_HEX_LENGTH,
  signingString,
  type WorkerReport,
} from '@dynamic-image/core';
import type { PipelineOutput } from './pipeline.js';

export interface HttpDeliveryOptions {
  secret: string;
  /** Per request. */
  timeoutMs?: number;
  /**
   * How long a result or failure keeps being re-sent while the CMS is unreachable or answers
   * 5xx (a restart, a database outage). The CMS stores one result per job, so re-sending is safe.
   */
  retryForMs?: number;
  /** Told of each failed attempt that will be tried again. */
  onRetry?: (error: DynamicImageError, waitMs: number) => void;
  fetch?: typeof fetch;
}

// Answers worth another try: the CMS is restarting, overloaded or lost its database for a moment.
const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function endpoint(job: DynamicImageJobData, report: WorkerReport): URL {
  if (job.delivery.kind !== 'http')
    throw new DynamicImageError('INVALID_JOB', 'delivery.kind must be http here');
  return reportUrl(job.delivery.url, report);
}

/**
 * The signature header of one request. Each call draws a fresh nonce, so no two requests share a
 * signature (the CMS refuses one it has seen). `resultHeader` is the x-dynamic-image-result value,
 * signed with the body.
 */
export function signedHeaders(
  secret: string,
  method: string,
  url: URL,
  body: Uint8Array,
  resultHeader?: string,
): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  const nonce = randomBytes(SIGNATURE_NONCE_HEX_LENGTH / 2).toString('hex');
  const bodySha256 = createHash('sha256').update(body).digest('hex');
  const hmacHex = createHmac('sha256', secret)
    .update(signingString({ timestamp, nonce, method, path: url.pathname, bodySha256, resultHeader }))
    .digest('hex');
  return { [SIGNATURE_HEADER]: formatSignatureHeader({ timestamp, nonce, hmacHex }) };
}

async function postOnce(
  options: HttpDeliveryOptions,
  url: URL,
  body: Uint8Array,
  headers: Record<string, string>,
): Promise<{ error: DynamicImageError; transient: boolean; status?: number } | null> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      body,
      // Signed per attempt: the CMS refuses a replayed signature.
      headers: { ...headers, ...signedHeaders(options.secret, 'POST', url, body, headers[RESULT_HEADER]) },
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
  } catch (err) {
    const error = new DynamicImageError(
      'DELIVERY_FAILED',
      `The CMS at ${url.origin} could not be reached: ${(err as Error).message}`,
    );
    return { error, transient: true };
  }
  if (response.ok) {
    await response.body?.cancel().catch(() => {});
    return null;
  }
  const text = (await response.text().catch(() => '')).slice(0, 300);
  const error = new DynamicImageError(
    'DELIVERY_FAILED',
    `The CMS answered ${response.status} to ${url.pathname}: ${text}`,
  );
  return { error, transient: TRANSIENT_STATUS.has(response.status), status: response.status };
}

async function post(
  options: HttpDeliveryOptions,
  url: URL,
  body: Uint8Array,
  headers: Record<string, string>,
  retry: boolean,
  /** Answers that need no more sending and are no error (409: the job has already ended). */
  settledBy: number[] = [],
): Promise<void> {
  const giveUpAt = Date.now() + (retry ? (options.retryForMs ?? 120_000) : 0);
  // From one second up, doubling: the CMS is given time to come back.
  for (let wait = 1000; ; wait = Math.min(wait * 2, 8000)) {
    const outcome = await postOnce(options, url, body, headers);
    if (!outcome || (outcome.status !== undefined && settledBy.includes(outcome.status))) return;
    if (!outcome.transient || Date.now() + wait > giveUpAt) throw outcome.error;
    options.onRetry?.(outcome.error, wait);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

export function httpDelivery(options: HttpDeliveryOptions) {
  return {
    async deliver(job: DynamicImageJobData, output: PipelineOutput): Promise<void> {
      const body = await readFile(output.file);
      const result = encodeResultMetadata(output.result);
      await post(
        options,
        endpoint(job, 'result'),
        body,
        { 'content-type': 'application/octet-stream', [RESULT_HEADER]: result },
        true,
      );
    },
    // Bodies are checked against the contract before they go: a worker bug fails here, loudly,
    // instead of as a 400 from the CMS.
    async progress(job: DynamicImageJobData, progress: ProgressBody): Promise<void> {
      // Progress is only a hint: a lost report is overtaken by the next one.
      await post(
        options,
        endpoint(job, 'progress'),
        json(parseProgressBody(progress)),
        { 'content-type': 'application/octet-stream' },
        false,
        // A report overtaken by the result (or a failure) is refused with 409: nothing was lost.
        [409],
      );
    },
    async failure(job: DynamicImageJobData, failure: FailureBody): Promise<void> {
      await post(
        options,
        endpoint(job, 'failure'),
        json(parseFailureBody(failure)),
        { 'content-type': 'application/octet-stream' },
        true,
      );
    },
  };
}
