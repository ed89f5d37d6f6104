import { RESULT_HEADER, SIGNATURE_HEADER } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { invalidParameter } from '../errors';
import { respond } from './respond';

const MAX_BODY = 256 * 1024 * 1024;

// Worker requests are sent as application/octet-stream so Strapi's body parser leaves them
// alone: the HMAC covers the exact bytes.
async function rawBody(ctx: Context): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw invalidParameter('body', 'the body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const plugin = () => strapi.plugin('dynamic-image');
  const verified = async (ctx: Context) => {
    const bytes = await rawBody(ctx);
    plugin()
      .service('signatures')
      .verify(ctx.get(SIGNATURE_HEADER) || undefined, ctx.method, ctx.path, bytes);
    return bytes;
  };
  const parse = (bytes: Buffer) => {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw invalidParameter('body', 'the body must be JSON');
    }
  };
  return {
    result: respond(async (ctx) => {
      const bytes = await verified(ctx);
      return plugin()
        .service('results')
        .store(ctx.params.jobId, bytes, ctx.get(RESULT_HEADER) || undefined);
    }),
    progress: respond(async (ctx) => {
      const progress = parse(await verified(ctx));
      await plugin().service('jobs').markProgress(ctx.params.jobId, progress);
    }),
    failure: respond(async (ctx) => {
      const failure = parse(await verified(ctx));
      await plugin().service('jobs').markFailure(ctx.params.jobId, failure);
    }),
    previewResult: respond(async (ctx) => {
      const bytes = await verified(ctx);
      return plugin()
        .service('previews')
        .store(ctx.params.previewId, bytes, ctx.get(RESULT_HEADER) || undefined);
    }),
    previewProgress: respond(async (ctx) => {
      await plugin()
        .service('previews')
        .markProgress(ctx.params.previewId, parse(await verified(ctx)));
    }),
    previewFailure: respond(async (ctx) => {
      await plugin()
        .service('previews')
        .markFailure(ctx.params.previewId, parse(await verified(ctx)));
    }),
  };
};
