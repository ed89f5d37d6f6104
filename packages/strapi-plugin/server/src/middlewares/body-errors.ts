import type { Context, Next } from 'koa';

const PLUGIN_PATH = /^\/(api\/)?dynamic-image(\/|$)/;

/**
 * Strapi parses request bodies before any route runs, so a body that is not a JSON object (or that
 * carries a `__proto__` key) is refused by its parser with a bare 400. On the plugin's paths that
 * refusal takes the plugin's error shape, with a code like every other bad input.
 */
export async function bodyErrors(ctx: Context, next: Next): Promise<void> {
  await next();
  if (ctx.status !== 400 || !PLUGIN_PATH.test(ctx.path)) return;
  const error = (ctx.body as { error?: { code?: string; name?: string; message?: string } } | undefined)
    ?.error;
  if (!error || error.code || error.name !== 'SyntaxError') return;
  ctx.body = {
    data: null,
    error: {
      status: 400,
      name: 'DynamicImageError',
      code: 'InvalidParameter.Body',
      message: `the body must be a JSON object: ${error.message ?? 'it could not be parsed'}`,
      details: {},
    },
  };
}
