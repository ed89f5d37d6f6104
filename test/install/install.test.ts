// The own-app install path, as a Strapi user takes it (docs/own-app.md, word for word): the three packages
// packed as they would be published, a new app from create-strapi-app@5.54.0 with npm on Postgres, in a
// folder outside the workspace, the documented files written into it, `npm run build`, `npm run start`,
// and a GIF in its Media Library from a template, a workflow and an upload.
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
let output = '';

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
    const child = spawn('npm', ['run', 'start'], {
      cwd: app,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    stopApp = async () => {
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGTERM');
      await exited;
    };
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(
      'the new app answers',
      async () =>
        (await fetch(`${base}/_health`).then(
          (r) => r.status === 204,
          () => false,
        )) || undefined,
      { timeout: 180_000, interval: 500, detail: () => output.slice(-4000) },
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
      { timeout: 180_000, interval: 500, detail: () => output.slice(-4000) },
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
  }, 600_000);
});
