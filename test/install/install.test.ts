// The own-app install path, as a Strapi user takes it (docs/own-app.md, word for word): the three packages
// packed as they would be published, a new app from create-strapi-app@5.54.0 with npm on Postgres, in a
// folder outside the workspace, the documented files written into it, `npm run build`, `npm run start`,
// and a GIF in its Media Library from a template, a workflow and an upload; then the plugin's declarations
// through the app's own TypeScript, and the same app on SQLite, which the plugin refuses in one line.
// Slow (create-strapi-app installs an app's dependencies): its own lane, `npm run test:install`.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { generateSample, resolveFfmpegBinaries } from '@dynamic-image/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { bootstrapAccess, freePort, repoRoot } from '../support/cms.js';
import { waitUntil } from '../support/wait.js';

const exec = promisify(execFile);
const PACKAGES = ['core', 'worker', 'strapi-plugin'];
const SECRET = 'install-test-secret-0123456789';

let dir: string;
let app: string;
let database: TestDatabase;
let stopApp: (() => Promise<void>) | undefined;

/** The doc's code blocks that name a file (```ts title="config/plugins.ts"), in order. */
function documentedFiles(markdown: string): Array<{ file: string; text: string }> {
  const blocks = [...markdown.matchAll(/^```\w+ title="([^"]+)"\n([\s\S]*?)^```$/gm)];
  return blocks.map((m) => ({ file: m[1] as string, text: m[2] as string }));
}

async function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  try {
    return await exec(command, args, {
      cwd,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 900_000,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout?.slice(-3000)}\n${e.stderr?.slice(-3000)}`,
    );
  }
}

/** `npm run start` in the app, its own process group, with `env` over the test's environment. */
function startApp(env: Record<string, string>) {
  const child = spawn('npm', ['run', 'start'], {
    cwd: app,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  let exit: { code: number | null } | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exit = { code };
      resolve();
    }),
  );
  return {
    output: () => output,
    /** Set once the process has exited: its code (null when a signal ended it). */
    exit: () => exit,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-(child.pid as number), 'SIGTERM');
      await exited;
    },
  };
}

beforeAll(async () => {
  database = await startTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'dynamic-image-install-'));
  // 1. The tarballs `pnpm publish` would upload (workspace ranges replaced by versions).
  const tarballs: string[] = [];
  for (const name of PACKAGES) {
    await run('pnpm', ['pack', '--pack-destination', join(dir, 'packs')], join(repoRoot, 'packages', name));
  }
  for (const file of await readdir(join(dir, 'packs'))) tarballs.push(join(dir, 'packs', file));
  // 2. A new app with npm, on Postgres, as create-strapi-app makes it (offline from the npm registry).
  const url = new URL(database.url);
  await run(
    'npx',
    [
      '--yes',
      'create-strapi-app@5.54.0',
      'my-app',
      '--no-run',
      '--skip-cloud',
      '--no-example',
      '--no-git-init',
      '--typescript',
      '--use-npm',
      '--install',
      '--non-interactive',
      '--dbclient=postgres',
      `--dbhost=${url.hostname}`,
      `--dbport=${url.port}`,
      `--dbname=${url.pathname.slice(1)}`,
      `--dbusername=${decodeURIComponent(url.username)}`,
      `--dbpassword=${decodeURIComponent(url.password)}`,
    ],
    dir,
  );
  app = join(dir, 'my-app');
  // 3. The doc's `npm install @dynamic-image/strapi-plugin @dynamic-image/worker`, from the tarballs (not
  // published here); core comes with them, as the registry would bring it.
  await run('npm', ['install', '--no-audit', '--no-fund', ...tarballs], app);
  // 4. The doc's files, whole, as it says.
  const doc = await readFile(join(repoRoot, 'docs', 'own-app.md'), 'utf8');
  const files = documentedFiles(doc);
  expect(files.map((f) => f.file)).toEqual(['config/plugins.ts', 'src/index.ts']);
  for (const { file, text } of files) {
    await mkdir(dirname(join(app, file)), { recursive: true });
    await writeFile(join(app, file), text);
  }
  await writeFile(
    join(app, '.env'),
    `${await readFile(join(app, '.env'), 'utf8')}\nDYNAMIC_IMAGE_WORKER_SECRET=${SECRET}\n`,
  );
  // 5. `npm run build && npm run start`.
  await run('npm', ['run', 'build'], app);
}, 1_500_000);

afterAll(async () => {
  await stopApp?.();
  await database?.stop();
  if (dir && !process.env.KEEP_INSTALL_DIR) await rm(dir, { recursive: true, force: true });
});

describe('the plugin installed into a new Strapi app from the packed packages', () => {
  it('starts, and a template, a workflow and an upload give a GIF in the Media Library', async () => {
    const port = await freePort();
    const cms = startApp({ PORT: String(port), HOST: '127.0.0.1' });
    stopApp = cms.stop;
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(
      'the new app answers',
      async () =>
        (await fetch(`${base}/_health`).then(
          (r) => r.status === 204,
          () => false,
        )) || undefined,
      { timeout: 180_000, interval: 500, detail: () => cms.output().slice(-4000) },
    );
    const { apiToken } = await bootstrapAccess(base);
    const call = async (method: string, path: string, body?: unknown, form?: FormData) => {
      const response = await fetch(`${base}/api/dynamic-image${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiToken}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: form ?? (body ? JSON.stringify(body) : undefined),
      });
      return { status: response.status, json: (await response.json()) as Record<string, any> };
    };

    const template = await call('POST', '/templates', {
      name: 'install-gif',
      format: 'gif',
      fps: 8,
      width: 320,
      captureMethod: 'byDuration',
      start: 0,
      duration: 2,
    });
    expect(template.status, JSON.stringify(template.json)).toBe(201);
    const workflow = await call('POST', '/workflows', {
      name: 'install-workflow',
      nodes: [{ templateId: template.json.data.templateId }],
    });
    expect(workflow.status, JSON.stringify(workflow.json)).toBe(201);

    const clip = await generateSample(
      resolveFfmpegBinaries(),
      'landscape',
      await mkdtemp(join(dir, 'clip-')),
      4,
    );
    const form = new FormData();
    form.append('workflowId', workflow.json.data.workflowId);
    form.append('files', new Blob([await readFile(clip)], { type: 'video/mp4' }), 'clip.mp4');
    const upload = await call('POST', '/upload', undefined, form);
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    const [job] = upload.json.data[0].jobs;

    const done = await waitUntil(
      'the job ends',
      async () => {
        const { json } = await call('GET', `/jobs/${job.jobId}`);
        return ['success', 'failed'].includes(json.data?.state) ? json.data : undefined;
      },
      { timeout: 180_000, interval: 500, detail: () => cms.output().slice(-4000) },
    );
    expect(done.state, JSON.stringify(done)).toBe('success');
    const images = await call('GET', `/videos/${upload.json.data[0].video.videoId}/dynamic-images`);
    const image = images.json.data[0];
    const file = await fetch(`${base}/api/upload/files/${image.fileId}`, {
      headers: { authorization: `Bearer ${apiToken}` },
    }).then((r) => r.json() as Promise<{ mime: string; url: string }>);
    expect(file.mime).toBe('image/gif');
    const bytes = Buffer.from(await (await fetch(`${base}${file.url}`)).arrayBuffer());
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    await cms.stop();
  }, 600_000);

  it('compiles, with the app’s own tsconfig, the type import docs/own-app.md shows', async () => {
    const doc = await readFile(join(repoRoot, 'docs', 'own-app.md'), 'utf8');
    const line = doc.match(
      /`(import type \{[^}]+\} from '@dynamic-image\/strapi-plugin\/strapi-server')`/,
    )?.[1];
    expect(line).toBeDefined();
    const file = join(app, 'dynamic-image-types.ts');
    // The expected error fails the compile as unused if the declarations were not found (every type `any`).
    await writeFile(
      file,
      `${line};\nexport const ok: DynamicImageCompleteEvent['Status'] = 'success';\n` +
        `// @ts-expect-error: not a status the event has\nexport const wrong: DynamicImageCompleteEvent['Status'] = 'done';\n` +
        'export const covers = (videos: Video[]) => videos.map((video) => video.coverUrl);\n',
    );
    try {
      await run(join(app, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', '.'], app);
    } finally {
      await rm(file);
    }
  });
});

// The plugin refuses a database it can't use at register, before anything connects (database-check.ts). The
// same app, started as create-strapi-app's default makes it: SQLite, with better-sqlite3.
describe('the same app on SQLite', () => {
  beforeAll(async () => {
    // The driver create-strapi-app@5.54.0 adds to an app made on SQLite; built here for the Node that runs it.
    await run('npm', ['install', '--no-audit', '--no-fund', 'better-sqlite3@12.8.0'], app);
  }, 600_000);

  const pgVariables = () => {
    const url = new URL(database.url);
    return {
      PGHOST: url.hostname,
      PGPORT: url.port,
      PGUSER: decodeURIComponent(url.username),
      PGPASSWORD: decodeURIComponent(url.password),
      PGDATABASE: url.pathname.slice(1),
    };
  };

  it.each([
    ['', () => ({})],
    // pg (and so pg-boss) reads these: with them pointing at a live Postgres, the plugin once got as far as
    // its queue and crashed on Strapi's SQLite client ("reading 'getTypeParser'").
    [', also with PG* variables pointing at a Postgres', pgVariables],
  ])('stops at start-up with one line naming SQLite and the way to Postgres%s', async (_, variables) => {
    const cms = startApp({
      DATABASE_CLIENT: 'sqlite',
      DATABASE_FILENAME: '.tmp/data.db',
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      ...variables(),
    });
    stopApp = cms.stop;
    const exit = await waitUntil('the app stops', () => cms.exit(), {
      timeout: 120_000,
      interval: 250,
      detail: () => cms.output().slice(-4000),
    });
    const output = cms.output();
    expect(exit.code, output).not.toBeNull();
    expect(exit.code, output).not.toBe(0);
    const refusals = output.split('\n').filter((line) => line.includes('dynamic-image needs PostgreSQL'));
    expect(refusals, output).toHaveLength(1);
    expect(refusals[0]).toContain("this app's database is SQLite");
    expect(refusals[0]).toContain('https://docs.strapi.io/cms/configurations/database#postgresql');
    expect(output, 'a stack trace').not.toMatch(/^\s+at /m);
    expect(output).not.toMatch(/pg-pool|pg-boss|getTypeParser|TypeError/);
  });
});
