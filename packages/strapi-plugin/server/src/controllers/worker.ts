import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULT_HEADER, SIGNATURE_HEADER } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { ApiError, invalidParameter } from '../errors';
import { resultByteLimit } from '../result-limit';
import { respond } from './respond';
import { closeAfterAnswer, readReport, receiveFile } from './worker-body';

/** Where a result goes, and where the template that bounds its size is kept. */
const TARGETS = {
  job: { uid: 'plugin::dynamic-image.job', key: 'jobId', template: 'templateSnapshot', service: 'results' },
  preview: {
    uid: 'plugin::dynamic-image.preview',
    key: 'previewId',
    template: 'template',
    service: 'previews',
  },
} as const;

// Worker requests are sent as application/octet-stream so Strapi's body parser leaves them
// alone: the HMAC covers the exact bytes. Nothing is read before the signature header has passed
// its checks that need no body (shape, freshness) and the declared length fits.
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const plugin = () => strapi.plugin('dynamic-image');
  const signatures = () => plugin().service('signatures');

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
  const result = async (ctx: Context, target: keyof typeof TARGETS, id: string) => {
    const { uid, key, template, service } = TARGETS[target];
    const signature = admit(ctx);
    // The plan bounds the file; an unknown id gets the general bound, so that it is unknown is only
    // told (404) to a caller whose signature holds.
    const row = await strapi.db.query(uid).findOne({ where: { [key]: id } });
    const limit = resultByteLimit(row?.[template] ?? null);
    const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-delivery-'));
    try {
      const file = await receiveFile(ctx, dir, limit);
      await verify(ctx, signature, file.sha256);
      return await plugin()
        .service(service)
        .store(id, file, ctx.get(RESULT_HEADER) || undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  return {
    result: respond((ctx) => result(ctx, 'job', ctx.params.jobId)),
    progress: respond(async (ctx) => {
      const progress = await report(ctx);
      await plugin().service('jobs').markProgress(ctx.params.jobId, progress);
    }),
    failure: respond(async (ctx) => {
      const failure = await report(ctx);
      await plugin().service('jobs').markFailure(ctx.params.jobId, failure);
    }),
    previewResult: respond((ctx) => result(ctx, 'preview', ctx.params.previewId)),
    previewProgress: respond(async (ctx) => {
      await plugin()
        .service('previews')
        .markProgress(ctx.params.previewId, await report(ctx));
    }),
    previewFailure: respond(async (ctx) => {
      await plugin()
        .service('previews')
        .markFailure(ctx.params.previewId, await report(ctx));
    }),
  };
};
