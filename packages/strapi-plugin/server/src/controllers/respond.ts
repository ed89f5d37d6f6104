import type { Context } from 'koa';
import { ApiError } from '../errors';

type Handler = (ctx: Context) => Promise<unknown>;

/** An answer with a `meta` beside its `data`. */
export class WithMeta {
  constructor(
    readonly data: unknown,
    readonly meta: Record<string, unknown>,
  ) {}
}

/** An answer that is a file (a CSV export), not JSON. */
export class Download {
  constructor(
    readonly type: string,
    readonly fileName: string,
    readonly body: string,
  ) {}
}

/** Runs a handler; an ApiError becomes its status with `{ error: { status, code, message, details } }`. */
export function respond(handler: Handler, status = 200) {
  return async (ctx: Context) => {
    try {
      const body = await handler(ctx);
      ctx.status = body === undefined ? 204 : status;
      if (body instanceof Download) {
        ctx.type = body.type;
        ctx.attachment(body.fileName);
        ctx.body = body.body;
      } else if (body instanceof WithMeta) ctx.body = { data: body.data, meta: body.meta };
      else if (body !== undefined) ctx.body = { data: body };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      ctx.status = err.status;
      ctx.body = {
        data: null,
        error: {
          status: err.status,
          name: 'DynamicImageError',
          code: err.code,
          message: err.message,
          details: err.details ?? {},
        },
      };
    }
  };
}

export const body = (ctx: Context): Record<string, unknown> => {
  const value = (ctx.request as unknown as { body?: unknown }).body;
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
};
