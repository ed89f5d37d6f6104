import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../packages/worker/test/support/ports.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cmsDir = join(repoRoot, 'apps', 'cms');

export { freePort } from '../../packages/worker/test/support/ports.js';

export interface RunningCms {
  url: string;
  port: number;
  pid: number;
  secret: string;
  log: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the built CMS the way `npm start` does, with its embedded worker, on a database of its own. */
export async function startCms(
  databaseUrl: string,
  env: Record<string, string> = {},
  /** A restart reuses the port (workers hold URLs to it); `host` binds an address other than loopback. */
  listen: { port?: number; host?: string } = {},
): Promise<RunningCms> {
  const port = listen.port ?? (await freePort());
  const host = listen.host ?? '127.0.0.1';
  const secret = 'test-worker-secret-0123456789';
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(cmsDir, 'scripts', 'start.mjs'), 'start'], {
    cwd: cmsDir,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: host,
      APP_KEYS: 'testKeyA,testKeyB',
      API_TOKEN_SALT: 'test-salt',
      ADMIN_JWT_SECRET: 'test-admin-jwt',
      TRANSFER_TOKEN_SALT: 'test-transfer',
      JWT_SECRET: 'test-jwt',
      ENCRYPTION_KEY: 'test-encryption-key',
      DYNAMIC_IMAGE_WORKER_SECRET: secret,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const url = `http://${host}:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const status = await fetch(`${url}/_health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 204) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the CMS did not start (exit ${child.exitCode}):\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    port,
    pid: child.pid as number,
    secret,
    log: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The CMS's first admin, and a full-access API token for the content API. */
export async function bootstrapAccess(url: string): Promise<{ adminToken: string; apiToken: string }> {
  const register = await fetch(`${url}/admin/register-admin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      firstname: 'Ada',
      lastname: 'Admin',
      email: 'ada@example.com',
      password: 'Admin12345!',
    }),
  });
  const adminToken = ((await register.json()) as { data: { token: string } }).data.token;
  const token = await fetch(`${url}/admin/api-tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name: 'e2e', type: 'full-access', lifespan: null, description: '' }),
  });
  const apiToken = ((await token.json()) as { data: { accessKey: string } }).data.accessKey;
  return { adminToken, apiToken };
}
