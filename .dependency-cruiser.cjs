// The import graph's rules, checked by `pnpm lint` (and so by scripts/dev.sh test): no cycles, the
// plugin and the worker stay apart (they meet only through @dynamic-image/core's job contract), and the
// core stays pure. Workspace packages resolve to their sources (tsconfig.depcruise.json).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle ties modules into one. The plugin services reach each other through utils/get-service.ts, ' +
        'which imports the services only as types (for their types); cycles through it are not import cycles.',
      from: {},
      to: {
        circular: true,
        viaOnly: { pathNot: '^packages/strapi-plugin/server/src/utils/get-service\\.ts$' },
      },
    },
    {
      name: 'get-service-types-only',
      severity: 'error',
      comment: 'get-service.ts may import the services for their types only, or it would make real cycles.',
      from: { path: '^packages/strapi-plugin/server/src/utils/get-service\\.ts$' },
      to: { path: '^packages/strapi-plugin/server/src/services/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'plugin-not-to-worker',
      severity: 'error',
      comment: 'The plugin runs inside Strapi; the worker is a separate deployable (apps/cms wires them).',
      from: { path: '^packages/strapi-plugin/' },
      to: { path: ['^packages/worker/', '^@dynamic-image/worker'] },
    },
    {
      name: 'worker-not-to-plugin',
      severity: 'error',
      from: { path: '^packages/worker/' },
      to: { path: ['^packages/strapi-plugin/', '^@dynamic-image/strapi-plugin', '^@strapi/'] },
    },
    {
      name: 'core-imports-no-package',
      severity: 'error',
      comment: 'The core is the pure rules both sides share: it depends on no other workspace package.',
      from: { path: '^packages/core/src/' },
      to: { path: ['^packages/(worker|strapi-plugin)/', '^apps/', '^@dynamic-image/', '^@strapi/'] },
    },
    {
      name: 'core-no-io',
      severity: 'error',
      comment: 'The core does no I/O: no files, sockets, processes or HTTP.',
      from: { path: '^packages/core/src/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(fs|fs/promises|net|tls|dgram|dns|child_process|cluster|worker_threads|http|https|http2)$',
      },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import that resolves to nothing (a typo, or a package missing from package.json). ' +
        'ffprobe-static is an optional require the worker tries first (src/binaries.ts).',
      from: {},
      to: { couldNotResolve: true, pathNot: '^ffprobe-static$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.cjs', '.mjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
