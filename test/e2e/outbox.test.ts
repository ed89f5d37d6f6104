import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

// `DynamicImageComplete` is written with the job's final state and sent after the commit. These tests
// make the state a CMS leaves when it dies in between (a final job and its pending event in the
// database) and check that the event is then sent exactly once, and that sent events are not.
let database: TestDatabase;
let hooks: WebhookReceiver;
const running: RunningCms[] = [];

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
  const cms = await startCms(database.url, {
    DYNAMIC_IMAGE_WORKER_MODE: 'off',
    DYNAMIC_IMAGE_EVENT_RESEND_INTERVAL_SECONDS: '1',
    DYNAMIC_IMAGE_EVENT_RESEND_AFTER_SECONDS: '2',
  });
  running.push(cms);
  const { adminToken } = await bootstrapAccess(cms.url);
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
