// The worker's connection keeps TLS settings given beside its URL (Strapi's `connection.ssl`): this Postgres
// has no TLS, so a worker that really asks for it is refused by the server, and one without it connects.
import { describe, expect, inject, it } from 'vitest';
import { createBoss } from '../src/queue.js';
import { startWorker } from '../src/worker.js';

const databaseUrl = inject('databaseUrl');

describe('ssl beside the database URL', () => {
  it('reaches pg: the worker asks the server for TLS', async () => {
    const start = startWorker(
      { databaseUrl, schema: 'pgboss_ssl', ssl: { rejectUnauthorized: false }, concurrency: 1 },
      { log: () => {} },
    );
    await expect(start).rejects.toThrow('The server does not support SSL connections');
  });

  it('is left out when not given, and pg connects without TLS', async () => {
    const boss = createBoss({ databaseUrl, schema: 'pgboss_ssl' }, 'dynamic-image-ssl-test');
    await boss.start();
    await boss.stop({ graceful: false });
    const tls = createBoss({ databaseUrl, schema: 'pgboss_ssl', ssl: true }, 'dynamic-image-ssl-test');
    tls.on('error', () => {});
    await expect(tls.start()).rejects.toThrow('The server does not support SSL connections');
  });
});
