import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import { waitUntil } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

// `DynamicImageComplete` is written with the job's final state and sent after the commit. These tests
// make the state a CMS leaves when it dies in between (a final job and its pending event in the
// database) and check that the event is then sent exactly once, and that sent events are not.
let database: TestDatabase;
let hooks: WebhookReceiver;
let adminToken: string;
const running: RunningCms[] = [];
// Deliveries retry after about 1, 2, 4… s (at most 3 s) here; the default waits 10 s, doubling to an hour.
const CMS_ENV = {
  DYNAMIC_IMAGE_WORKER_MODE: 'off',
  DYNAMIC_IMAGE_EVENT_RESEND_INTERVAL_SECONDS: '1',
  DYNAMIC_IMAGE_EVENT_RESEND_AFTER_SECONDS: '2',
  DYNAMIC_IMAGE_EVENT_RETRY_DELAY_SECONDS: '1',
  DYNAMIC_IMAGE_EVENT_RETRY_DELAY_MAX_SECONDS: '3',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A finished job, as the CMS writes it; with `pendingFor` seconds, also its unsent event. */
async function finishedJob(state: 'success' | 'failed', pendingFor?: number) {
  const jobId = randomUUID();
  await queryRows(
    database.url,
    `insert into dynamic_image_jobs (document_id, job_id, state, template_snapshot, video_id, error_code,
       finished_at, created_at, updated_at, published_at)
     values ($1, $2, $3, '{}', 7, $4, now(), now(), now(), now())`,
    [randomUUID().replace(/-/g, '').slice(0, 24), jobId, state, state === 'failed' ? 'DECODE_ERROR' : null],
  );
  if (pendingFor !== undefined) {
    const payload = {
      EventType: 'DynamicImageComplete',
      EventTime: new Date(Date.now() - pendingFor * 1000).toISOString(),
      VideoId: 7,
      JobId: jobId,
      Status: 'fail',
      ErrorCode: 'DECODE_ERROR',
      ErrorMessage: 'no video stream',
    };
    await queryRows(
      database.url,
      `insert into dynamic_image_pending_events (document_id, job_id, payload, created_at, updated_at, published_at)
       values ($1, $2, $3, now() - make_interval(secs => $4), now(), now())`,
      [randomUUID().replace(/-/g, '').slice(0, 24), jobId, JSON.stringify(payload), pendingFor],
    );
  }
  return jobId;
}

const pendingCount = async () =>
  Number(
    (
      await queryRows<{ n: string }>(database.url, 'select count(*) as n from dynamic_image_pending_events')
    )[0]?.n,
  );

beforeAll(async () => {
  database = await startTestDatabase();
  // No worker: nothing ends a job but this test. The sweep runs every second, after a 2 s grace.
  const cms = await startCms(database.url, CMS_ENV);
  running.push(cms);
  ({ adminToken } = await bootstrapAccess(cms.url));
  hooks = await startWebhookReceiver();
  const created = await fetch(`${cms.url}/admin/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name: 'e2e', url: hooks.url, headers: {}, events: ['dynamic-image.complete'] }),
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  for (const cms of running) await cms.stop();
  await hooks?.close();
  await database?.stop();
});

describe('DynamicImageComplete outbox', () => {
  it('a running CMS sends an event left pending past the grace once, and nothing for a job whose event was sent', async () => {
    const sent = await finishedJob('success');
    const pending = await finishedJob('failed', 30);
    const event = await hooks.waitFor((e) => e.JobId === pending, 15_000);
    expect(event).toMatchObject({
      event: 'dynamic-image.complete',
      EventType: 'DynamicImageComplete',
      VideoId: 7,
      JobId: pending,
      Status: 'fail',
      ErrorCode: 'DECODE_ERROR',
      ErrorMessage: 'no video stream',
    });
    // Several sweeps later: still one event, nothing for the sent job, nothing left pending.
    await sleep(3000);
    expect(hooks.events.filter((e) => e.JobId === pending)).toHaveLength(1);
    expect(hooks.events.filter((e) => e.JobId === sent)).toHaveLength(0);
    expect(await pendingCount()).toBe(0);
  });

  it('a sweep that finds another instance sweeping (its advisory lock held) sends nothing', async () => {
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      // Plays another CMS instance in the middle of its sweep.
      await other.query('begin');
      await other.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [
        'dynamic-image:pending-events',
      ]);
      const pending = await finishedJob('failed', 30);
      await sleep(3000); // three sweeps of the running CMS
      expect(hooks.events.filter((e) => e.JobId === pending)).toHaveLength(0);
      expect(await pendingCount()).toBe(1);
      await other.query('rollback');
      await hooks.waitFor((e) => e.JobId === pending, 10_000);
      await sleep(1500);
      expect(hooks.events.filter((e) => e.JobId === pending)).toHaveLength(1);
      expect(await pendingCount()).toBe(0);
    } finally {
      await other.end();
    }
  });

  it('a receiver down for its first three attempts gets the event once, across a CMS restart, signed and in the shape it chose', async () => {
    // The receiver answers 503 to its first three requests, then 200; it records every request.
    const received: Array<{ status: number; body: string; headers: Record<string, unknown> }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const status = received.length < 3 ? 503 : 200;
        received.push({ status, body, headers: req.headers });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/vod`;
    const admin = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${running[0]?.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, any> };
    };
    try {
      const created = await admin('POST', '/admin/webhooks', { name: 'vod', url, headers: {}, events: [] });
      expect(created.status).toBe(201);
      const webhookId = created.json.data.id;
      const subscribed = await admin('PUT', '/dynamic-image/settings/webhooks', {
        data: [{ id: webhookId, subscribed: true, shape: 'vod' }],
      });
      expect(subscribed.status, JSON.stringify(subscribed.json)).toBe(200);
      expect(subscribed.json.data.find((w: { id: number }) => w.id === webhookId)).toMatchObject({
        subscribed: true,
        shape: 'vod',
      });
      const secret = subscribed.json.meta.signingSecret as string;
      expect(secret).toMatch(/^whsec_[0-9a-f]{48}$/);

      const jobId = await finishedJob('failed', 30);
      const deliveries = async () =>
        (await admin('GET', `/dynamic-image/event-deliveries?jobId=${jobId}&webhookId=${webhookId}`)).json
          .data as Array<Record<string, any>>;
      // Two refused attempts, then the CMS stops and starts again: the delivery carries on from the database.
      await waitUntil('two refused attempts', () => received.length >= 2 && received, { timeout: 30_000 });
      const first = running.shift() as RunningCms;
      await first.stop();
      running.unshift(await startCms(database.url, CMS_ENV));
      const [delivered] = await waitUntil(
        'the delivery to succeed',
        async () => {
          const list = await deliveries();
          return list[0]?.state === 'delivered' && list;
        },
        { timeout: 60_000 },
      );
      expect(received.map((r) => r.status)).toEqual([503, 503, 503, 200]);
      expect(delivered).toMatchObject({ attempts: 4, lastStatus: 200, webhookName: 'vod' });
      expect(delivered?.log.map((a: { status: number }) => a.status)).toEqual([503, 503, 503, 200]);
      // Nothing more is queued for it: once delivered, it is never sent again unless asked.
      const open = await queryRows(
        database.url,
        `select id from pgboss.job where name = 'dynamic-image.events' and data->>'deliveryId' = $1 and state < 'completed'`,
        [String(delivered?.deliveryId)],
      );
      expect(open).toEqual([]);
      expect(received.filter((r) => r.status === 200)).toHaveLength(1);

      // Every request carried the same body, in VOD's shape, signed with the secret the settings show.
      const last = received[3] as (typeof received)[number];
      expect(new Set(received.map((r) => r.body)).size).toBe(1);
      expect(JSON.parse(last.body)).toEqual({
        EventType: 'DynamicImageComplete',
        EventTime: expect.any(String),
        VideoId: '7',
        Status: 'fail',
        DynamicImageJobInfo: {
          JobId: jobId,
          Status: 'fail',
          ErrorCode: 'DECODE_ERROR',
          ErrorMessage: 'no video stream',
        },
      });
      const [, t, v1] =
        /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(last.headers['x-dynamic-image-event-signature'])) ?? [];
      expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${last.body}`).digest('hex'));
      expect(last.headers['x-dynamic-image-delivery']).toBe(String(delivered?.deliveryId));

      // Resend, as the admin's button does: one more arrival, logged.
      const resent = await admin('POST', `/dynamic-image/event-deliveries/${delivered?.deliveryId}/resend`);
      expect(resent.status, JSON.stringify(resent.json)).toBe(200);
      await waitUntil('the resent delivery', () => received.length === 5, { timeout: 20_000 });
      const again = await waitUntil('the resend logged', async () => {
        const [row] = await deliveries();
        return row?.state === 'delivered' && row.attempts === 5 && row;
      });
      expect(again.log.map((a: { status: number }) => a.status)).toEqual([503, 503, 503, 200, 200]);
      // The flat receiver subscribed before got the same event once, in its own shape.
      await hooks.waitFor((e) => e.JobId === jobId);
      expect(hooks.events.filter((e) => e.JobId === jobId).map((e) => e.Status)).toEqual(['fail']);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('events a killed CMS left pending are sent once at the next start, with two instances starting together', async () => {
    await running[0]?.stop('SIGKILL');
    running.length = 0;
    const jobIds: string[] = [];
    for (let i = 0; i < 5; i++) jobIds.push(await finishedJob('failed', 60));
    const sent = await finishedJob('success');
    // Only the start-up sweep can send them within this test (the periodic one waits an hour).
    const env = {
      DYNAMIC_IMAGE_WORKER_MODE: 'off',
      DYNAMIC_IMAGE_EVENT_RESEND_INTERVAL_SECONDS: '3600',
      DYNAMIC_IMAGE_EVENT_RESEND_AFTER_SECONDS: '2',
    };
    running.push(...(await Promise.all([startCms(database.url, env), startCms(database.url, env)])));
    for (const jobId of jobIds) await hooks.waitFor((e) => e.JobId === jobId, 20_000);
    await sleep(3000);
    for (const jobId of jobIds) {
      expect(hooks.events.filter((e) => e.JobId === jobId).map((e) => e.Status)).toEqual(['fail']);
    }
    expect(hooks.events.filter((e) => e.JobId === sent)).toHaveLength(0);
    expect(await pendingCount()).toBe(0);
  });
});
