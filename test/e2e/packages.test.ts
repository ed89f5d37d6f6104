// What `pnpm pack` (and so `pnpm publish`) makes of the three published packages: a stranger's npm must be
// able to install each tarball, so no `workspace:` range may be left, and each carries its README, LICENSE
// and Node engine. The install into a new Strapi app itself is its own lane (docs/own-app.md).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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

  it('the plugin’s source maps carry their sources', async () => {
    const map = JSON.parse(
      await readFile(
        join(unpacked.get('strapi-plugin') as string, 'dist', 'server', 'register.js.map'),
        'utf8',
      ),
    );
    expect(map.sourcesContent?.[0]).toContain('databaseRefusal');
  });
});
