import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../packages/worker/test/support/postgres.js';

/**
 * Without DATABASE_URL, one embedded Postgres serves the whole run and each test file makes a database of
 * its own on it: starting a server costs seconds, a database a fraction of one.
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) return;
  const server = await startEmbeddedPostgres();
  project.provide('postgresServer', server.url);
  return () => server.stop();
}
