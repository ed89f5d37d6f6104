import { defineConfig } from 'tsup';

// The admin half of the plugin, in the plugin SDK's layout (dist/admin/index.{mjs,js}). Every
// dependency stays external: the CMS's own `strapi build` bundles React, the design system and
// @dynamic-image/core (browser-safe: zod only) with the rest of the admin.
export default defineConfig({
  entry: { index: 'admin/src/index.ts' },
  outDir: 'dist/admin',
  format: ['esm', 'cjs'],
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.js' }),
  tsconfig: 'admin/tsconfig.json',
  platform: 'browser',
  target: 'es2022',
  splitting: true,
  clean: true,
  dts: false,
  loader: { '.json': 'json' },
});
