// `npm start` without DATABASE_URL: the CMS runs on an embedded Postgres whose data survives a restart,
// and which stops with the CMS.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { bootstrapAccess, freePort, type RunningCms, startCms } from '../support/cms.js';

let cms: RunningCms | undefined;
let dir: string;

afterAll(async () => {
  await cms?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function postgresAnswers(port: number): Promise<boolean> {
  const client = new pg.Client({
    connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/cms`,
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('npm start on its embedded Postgres', () => {
  it('keeps what was made across a restart, in the data folder it was given', async () => {
    dir = await mkdtemp(join(tmpdir(), 'dynamic-image-start-'));
    // As root, Postgres runs as the `postgres` user, who must be able to write here.
    await chmod(dir, 0o777);
    const port = await freePort();
    const env = {
      EMBEDDED_POSTGRES_DATA_DIR: join(dir, 'postgres'),
      EMBEDDED_POSTGRES_PORT: String(port),
      DYNAMIC_IMAGE_WORKER_MODE: 'off',
      DYNAMIC_IMAGE_AUTO_THUMBNAIL: '[]',
    };
    // An empty DATABASE_URL: the start script runs the embedded Postgres.
    cms = await startCms('', env);
    expect(cms.log()).toContain(`Postgres (embedded) on 127.0.0.1:${port}`);
    const { apiToken } = await bootstrapAccess(cms.url);
    const created = await fetch(`${cms.url}/api/dynamic-image/templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
      body: JSON.stringify({ name: 'kept', format: 'gif', fps: 5, captureMethod: 'byDuration', duration: 1 }),
    });
    expect(created.status).toBe(201);
    const { templateId } = ((await created.json()) as { data: { templateId: string } }).data;
    await cms.stop();
    cms = undefined;
    // Postgres stopped with the CMS.
    expect(await postgresAnswers(port)).toBe(false);

    cms = await startCms('', env);
    expect(cms.log()).not.toContain('initialising Postgres');
    const found = await fetch(`${cms.url}/api/dynamic-image/templates/${templateId}`, {
      headers: { authorization: `Bearer ${apiToken}` },
    });
    expect(found.status).toBe(200);
    expect(((await found.json()) as { data: { name: string } }).data.name).toBe('kept');
    await cms.stop();
    cms = undefined;
    expect(await postgresAnswers(port)).toBe(false);
  });
});
