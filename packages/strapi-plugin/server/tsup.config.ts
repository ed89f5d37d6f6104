import { defineConfig } from 'tsup';

// The server's declarations for apps, one file: dist/server/index.d.ts from types/index.ts. The JavaScript
// is tsc's (server/tsconfig.json), which leaves dist/server/index.js in place: this build writes only the .d.ts.
export default defineConfig({
  entry: { index: 'server/types/index.ts' },
  outDir: 'dist/server',
  format: ['cjs'],
  tsconfig: 'server/tsconfig.json',
  dts: { only: true, compilerOptions: { rootDir: 'server' } },
});
