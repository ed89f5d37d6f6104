// What `pnpm pack` (and so `pnpm publish`) makes of the three published packages: a stranger's npm must be
// able to install each tarball, so no `workspace:` range may be left, and each carries its README, LICENSE,
// Node engine and the declarations its package.json names. The install into a new Strapi app itself is its
// own lane (docs/own-app.md).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cms.js';

const exec = promisify(execFile);
const PACKAGES = ['core', 'worker', 'strapi-plugin'] as const;

let dir: string;
const unpacked = new Map<string, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynamic-image-pack-'));
  for (const name of PACKAGES) {
    const out = join(dir, name);
    await exec('pnpm', ['pack', '--pack-destination', out], { cwd: join(repoRoot, 'packages', name) });
    const [tarball] = (await readdir(out)).filter((f) => f.endsWith('.tgz'));
    await exec('tar', ['-xzf', join(out, tarball as string), '-C', out]);
    unpacked.set(name, join(out, 'package'));
  }
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Manifest = Record<string, unknown> & {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
/** The targets of every `types` condition in an `exports` map, however deeply nested. */
function typesConditions(exports: unknown): string[] {
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.entries(exports).flatMap(([key, value]) =>
    key === 'types' && typeof value === 'string' ? [value] : typesConditions(value),
  );
}

const manifest = async (name: string): Promise<Manifest> =>
  JSON.parse(await readFile(join(unpacked.get(name) as string, 'package.json'), 'utf8'));

describe('the packed packages', () => {
  it.each(PACKAGES)(
    '%s has no workspace: range, and carries README, LICENSE, engines and public access',
    async (name) => {
      const pkg = await manifest(name);
      expect(JSON.stringify(pkg)).not.toContain('workspace:');
      expect(pkg.engines).toEqual({ node: '>=22.12' });
      expect(pkg.license).toBe('MIT');
      expect(pkg.publishConfig).toMatchObject({ access: 'public' });
      const files = await readdir(unpacked.get(name) as string);
      expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json', 'dist']));
      // The core the packed package asks for is the version packed beside it.
      const core = pkg.dependencies?.['@dynamic-image/core'];
      if (core) expect(core).toBe((await manifest('core')).version);
    },
  );

  it('the plugin takes Strapi, its admin libraries and react-intl from the app, so no second copy is installed', async () => {
    const pkg = await manifest('strapi-plugin');
    for (const shared of ['@strapi/strapi', '@strapi/utils', 'react', 'react-intl', 'styled-components']) {
      expect(pkg.peerDependencies?.[shared], shared).toMatch(/^\^/);
      expect(pkg.dependencies?.[shared], shared).toBeUndefined();
    }
  });

  it.each(PACKAGES)('%s carries the declarations its package.json points TypeScript to', async (name) => {
    const pkg = await manifest(name);
    const root = unpacked.get(name) as string;
    // Every `types` target: the top-level field, the `types` conditions of `exports`, and `typesVersions`
    // (what `moduleResolution: "node"`, a new Strapi app's setting, reads for a subpath).
    const targets = [
      pkg.types as string | undefined,
      ...typesConditions(pkg.exports),
      ...Object.values((pkg.typesVersions ?? {}) as Record<string, Record<string, string[]>>).flatMap(
        (paths) => Object.values(paths).flat(),
      ),
    ].filter((t): t is string => t !== undefined);
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      expect(target, target).toMatch(/\.d\.c?ts$/);
      await expect(
        stat(join(root, target)).then((s) => s.isFile()),
        target,
      ).resolves.toBe(true);
    }
    // Each export that runs code has its own declarations, but for the admin half: only Strapi's admin
    // build loads it, and an app never imports it.
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (typeof target === 'string' || subpath === './strapi-admin') continue;
      expect(typesConditions(target).length, `${name} ${subpath}`).toBeGreaterThan(0);
    }
  });

  it('the plugin’s declarations name what an app may import, and nothing the app lacks', async () => {
    const root = unpacked.get('strapi-plugin') as string;
    const pkg = await manifest('strapi-plugin');
    const server = (pkg.exports as Record<string, Record<string, string>>)['./strapi-server'];
    const declarations = await readFile(join(root, server?.types as string), 'utf8');
    for (const type of ['DynamicImageCompleteEvent', 'Video', 'VideoList', 'SubmitJobRequest']) {
      expect(declarations).toMatch(new RegExp(`\\btype ${type}\\b`));
    }
    expect(declarations).toContain('as default');
    // Imports only from packages an app has: the plugin's dependencies and peers.
    const imported = [...declarations.matchAll(/from '([^']+)'/g)].map((m) => m[1] as string);
    const reachable = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
    for (const specifier of imported) expect(reachable, specifier).toContain(specifier);
  });

  it('every source map the plugin ships carries its sources', async () => {
    const root = unpacked.get('strapi-plugin') as string;
    const maps = (await readdir(join(root, 'dist'), { recursive: true })).filter((f) => f.endsWith('.map'));
    expect(maps).toContain(join('server', 'register.js.map'));
    for (const file of maps) {
      const map = JSON.parse(await readFile(join(root, 'dist', file), 'utf8'));
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
      for (const source of map.sourcesContent) expect(source, file).toEqual(expect.any(String));
    }
    const register = JSON.parse(await readFile(join(root, 'dist', 'server', 'register.js.map'), 'utf8'));
    expect(register.sourcesContent[0]).toContain('databaseRefusal');
  });
});
