import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULT_HEADER, SIGNATURE_HEADER } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { ApiError, invalidParameter } from '../errors';
import type { JobKind } from '../services/worker-reports';
import { respond } from './respond';
import { closeAfterAnswer, readReport, receiveFile } from './worker-body';

// Worker requests are sent as application/octet-stream so Strapi's body parser leaves them
// alone: the HMAC covers the exact bytes. Nothing is read before the signature header has passed
// its checks that need no body (shape, freshness) and the declared length fits.
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const plugin = () => strapi.plugin('dynamic-image');
  const signatures = () => plugin().service('signatures');
  const reports = () => plugin().service('workerReports');

  const admit = (ctx: Context) => {
    try {
      return signatures().admit(ctx.get(SIGNATURE_HEADER) || undefined);
    } catch (err) {
      if (err instanceof ApiError) closeAfterAnswer(ctx);
      throw err;
    }
  };
  const verify = (ctx: Context, signature: ReturnType<typeof admit>, bodySha256: string) =>
    signatures().verify(signature, {
      method: ctx.method,
      path: ctx.path,
      bodySha256,
      resultHeader: ctx.get(RESULT_HEADER),
    });

  /** A progress or failure report: at most a few KiB of signed JSON. */
  const report = async (ctx: Context): Promise<unknown> => {
    const signature = admit(ctx);
    const bytes = await readReport(ctx);
    await verify(ctx, signature, createHash('sha256').update(bytes).digest('hex'));
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw invalidParameter('body', 'the body must be JSON');
    }
  };

  /** A result file, streamed to a folder of this request's own and removed once stored. */
  const result = async (ctx: Context, kind: JobKind, id: string) => {
    const signature = admit(ctx);
    const limit = await reports().resultLimit(kind, id);
    const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-delivery-'));
    try {
      const file = await receiveFile(ctx, dir, limit);
      await verify(ctx, signature, file.sha256);
      return await reports().result(kind, id, file, ctx.get(RESULT_HEADER) || undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  /** The three endpoints of a job kind, its id in the route parameter `param`. */
  const endpoints = (kind: JobKind, param: string) => ({
    result: respond((ctx) => result(ctx, kind, ctx.params[param])),
    progress: respond(async (ctx) => {
      await reports().progress(kind, ctx.params[param], await report(ctx));
    }),
    failure: respond(async (ctx) => {
      await reports().failure(kind, ctx.params[param], await report(ctx));
    }),
  });
  const job = endpoints('job', 'jobId');
  const preview = endpoints('preview', 'previewId');

  return {
    ...job,
    previewResult: preview.result,
    previewProgress: preview.progress,
    previewFailure: preview.failure,
  };
};
