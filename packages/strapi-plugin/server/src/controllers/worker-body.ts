// Reading a worker's body without trusting it: small reports into memory up to a few KiB, results
// onto disk up to what the job can produce, hashed as they arrive. An over-long body is cut off with
// 413 and the connection closed, so the rest is never read.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'koa';
import { tooLarge } from '../errors';

/** Progress and failure reports are a few hundred bytes of JSON. */
export const REPORT_MAX_BYTES = 8 * 1024;

export interface ReceivedFile {
  path: string;
  size: number;
  sha256: string;
}

/** Refuses, before reading anything, a body whose declared length is over `limit`. */
export function refuseDeclaredOver(ctx: Context, limit: number): void {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limit) throw refuse(ctx, limit);
}

/** How long the rest of a refused body is read and dropped before the connection is closed. */
const LINGER_MS = 1000;

/**
 * After a refusal the body is not wanted, but closing at once would reset the connection under the
 * client before it reads the answer. So the rest is read and dropped (never kept) for a second, then
 * the connection is closed unless the body ended by then.
 */
export function closeAfterAnswer(ctx: Context): void {
  const { req, res } = ctx;
  if ((res as { lingering?: boolean }).lingering) return;
  (res as { lingering?: boolean }).lingering = true;
  res.once('finish', () => {
    if (req.complete) return;
    const timer = setTimeout(() => req.socket?.destroy(), LINGER_MS);
    req.once('end', () => clearTimeout(timer));
    req.once('close', () => clearTimeout(timer));
    req.removeAllListeners('data');
    req.resume();
  });
}

function refuse(ctx: Context, limit: number) {
  closeAfterAnswer(ctx);
  return tooLarge(limit);
}

/** Feeds each chunk to `take`; stops reading (without draining the socket) once past `limit`. */
function consume(
  ctx: Context,
  limit: number,
  take: (chunk: Buffer) => boolean | undefined,
  onDrainNeeded: (resume: () => void) => void,
): Promise<number> {
  const req = ctx.req;
  // Strapi's body parser already read a body it knows (JSON, forms): the signed bytes are gone, and
  // the empty body left fails the HMAC.
  if (req.readableEnded) return Promise.resolve(0);
  return new Promise((resolve, reject) => {
    let size = 0;
    const stop = (err: unknown) => {
      req.off('data', onData);
      req.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop(refuse(ctx, limit));
      if (take(chunk) === false) {
        req.pause();
        onDrainNeeded(() => req.resume());
      }
    };
    req.on('data', onData);
    req.once('end', () => resolve(size));
    req.once('error', stop);
    req.once('aborted', () => stop(new Error('the worker closed the request')));
  });
}

export async function readReport(ctx: Context): Promise<Buffer> {
  refuseDeclaredOver(ctx, REPORT_MAX_BYTES);
  const chunks: Buffer[] = [];
  await consume(
    ctx,
    REPORT_MAX_BYTES,
    (chunk) => {
      chunks.push(chunk);
      return true;
    },
    () => {},
  );
  return Buffer.concat(chunks);
}

/** Writes the body to `dir/body`, hashing it on the way. */
export async function receiveFile(ctx: Context, dir: string, limit: number): Promise<ReceivedFile> {
  refuseDeclaredOver(ctx, limit);
  const path = join(dir, 'body');
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const written = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  written.catch(() => {});
  // A disk that fails stops the reading too (there is nothing to answer but a 500).
  out.once('error', (err) => ctx.req.destroy(err));
  try {
    const size = await consume(
      ctx,
      limit,
      (chunk) => {
        hash.update(chunk);
        return out.write(chunk);
      },
      (resume) => out.once('drain', resume),
    );
    out.end();
    await written;
    return { path, size, sha256: hash.digest('hex') };
  } catch (err) {
    out.destroy();
    throw err;
  }
}
