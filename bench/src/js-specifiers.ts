// Node runs the bench's TypeScript by stripping types, but unlike TypeScript it does not map a relative
// `./x.js` specifier (the NodeNext convention of the worker's test support, which the bench reuses for its
// database) to the `./x.ts` beside it. This hook retries such a specifier as `.ts` when the `.js` is absent.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      const relative = specifier.startsWith('./') || specifier.startsWith('../');
      if (
        !relative ||
        !specifier.endsWith('.js') ||
        (err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND'
      )
        throw err;
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
  },
});
