// Scale-out: standalone workers on hosts of their own (network namespaces made by this test),
// sharing one Postgres and one CMS over the lab's private /24. Traffic goes only to loopback and
// the lab's addresses. Every job runs once, one lost host loses no job, and (with
// `npm run reliability`) the rate with 1, 2, 3 and 4 workers is recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { bootstrapAccess, freePort, type RunningCms, startCms } from '../support/cms.js';
import {
  apiClient,
  type Call,
  CLEAN,
  childPids,
  FULL,
  leftovers,
  linesAbout,
  queueRetries,
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
import { createLab, type Host, type Lab, netnsUnavailable } from '../support/netns.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

// Namespaces need root and iproute2; without them these tests can't make hosts, so they skip
// (with the reason printed) rather than fall back to workers that share this host's network.
const unavailable = await netnsUnavailable();
if (unavailable) console.warn(`[scale-out] skipped: ${unavailable}`);

let database: TestDatabase;
let lab: Lab;
let cms: RunningCms;
let hooks: WebhookReceiver;
let call: Call;
let apiToken: string;
let workerDatabaseUrl: string;
let videoId: number;
const running: Array<{ host: Host; worker: WorkerProcess }> = [];

async function addWorkers(count: number) {
  for (let i = 0; i < count; i++) {
    const host = await lab.addHost();
    const worker = await startWorkerProcess({
      name: host.name,
      netns: host.name,
      databaseUrl: workerDatabaseUrl,
      secret: cms.secret,
      cmsUrl: cms.url,
      concurrency: 1,
    });
    running.push({ host, worker });
  }
}

async function removeWorkers() {
  for (const { host, worker } of running.splice(0)) {
    await worker.kill('SIGTERM');
    await lab.removeHost(host);
  }
}

/** Jobs finished per host, from the workers' `done` lines. */
function perHost(jobIds: string[]) {
  return Object.fromEntries(
    running.map(({ worker }) => [
      worker.name,
      jobIds.filter((id) => worker.log().includes(`job ${id} attempt 1 done`)).length,
    ]),
  );
}

async function template(name: string, fields: Record<string, unknown>) {
  const answer = await call('POST', '/templates', { name, captureMethod: 'byDuration', ...fields });
  return answer.json.data.templateId as string;
}

describe.skipIf(unavailable !== null)('standalone workers on hosts of their own', () => {
  beforeAll(async () => {
    database = await startTestDatabase();
    lab = await createLab();
    // Postgres listens on loopback only: the lab reaches it through a relay on the service address.
    const db = new URL(database.url);
    const relayPort = await lab.relay({ host: db.hostname, port: Number(db.port || 5432) });
    const workerDb = new URL(database.url);
    workerDb.hostname = lab.service;
    workerDb.port = String(relayPort);
    workerDatabaseUrl = workerDb.toString();
    // The CMS listens on the service address only, and gives workers URLs on it.
    const port = await freePort();
    cms = await startCms(
      database.url,
      { DYNAMIC_IMAGE_WORKER_MODE: 'standalone', PUBLIC_URL: `http://${lab.service}:${port}` },
      { host: lab.service, port },
    );
    const access = await bootstrapAccess(cms.url);
    apiToken = access.apiToken;
    call = apiClient(() => cms.url, apiToken);
    hooks = await startWebhookReceiver();
    await fetch(`${cms.url}/admin/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${access.adminToken}` },
      body: JSON.stringify({
        name: 'scale',
        url: hooks.url,
        headers: {},
        events: ['dynamic-image.complete'],
      }),
    });
    videoId = await uploadClip(cms.url, apiToken, 4);
    // A lost host's job comes back after a 10 s heartbeat: the live queue's setting, set as an operator would.
    await updateQueue(database.url);
  }, 300_000);

  afterAll(async () => {
    await removeWorkers().catch(() => {});
    await cms?.stop();
    await hooks?.close();
    await lab?.teardown();
    await database?.stop();
    await removeWorkerDirs();
  });

  it(
    'three hosts share the jobs, and every job runs exactly once',
    async () => {
      await addWorkers(3);
      const templateId = await template('scale-gif', { format: 'gif', fps: 8, width: 240, duration: 1.5 });
      const jobIds = await submitJobs(call, videoId, templateId, FULL ? 60 : 9);
      const rows = await waitForFinalStates(database.url, jobIds, FULL ? 600_000 : 120_000);
      await waitForDeliveries(database.url, jobIds);
      expect({ ...summarise(rows, hooks.events), jobs: rows.length }).toEqual({
        ...CLEAN,
        jobs: jobIds.length,
      });
      expect(rows.every((r) => r.state === 'success')).toBe(true);
      const retried = await queueRetries(database.url, jobIds);
      const cmsErrors = cms
        .log()
        .split('\n')
        .filter((l) => /error/i.test(l))
        .slice(-40)
        .join('\n');
      expect(
        retried,
        `${linesAbout(
          retried,
          running.map(({ worker }) => worker),
        )}\n${cmsErrors}`,
      ).toEqual([]);
      const shares = perHost(jobIds);
      // Each job was done by exactly one host, and every host took some.
      expect(Object.values(shares).reduce((a, b) => a + b, 0)).toBe(jobIds.length);
      for (const [name, n] of Object.entries(shares)) expect(n, name).toBeGreaterThan(0);
      for (const { worker } of running) expect(await leftovers(worker.tmpDir)).toEqual([]);
      console.log(`[scale-out] ${jobIds.length} jobs on 3 hosts, once each: ${JSON.stringify(shares)}`);
      await removeWorkers();
    },
    FULL ? 900_000 : 180_000,
  );

  it(
    'losing one host mid-run loses no job',
    async () => {
      await addWorkers(3);
      // Encodes of a couple of seconds, so the host is lost in the middle of one.
      const templateId = await template('loss-gif', { format: 'gif', fps: 15, width: 480, duration: 3 });
      const jobIds = await submitJobs(call, videoId, templateId, FULL ? 60 : 12);
      // The victim: the first host caught in the middle of an encode.
      const deadline = Date.now() + 60_000;
      let victim: (typeof running)[number] | undefined;
      while (!victim && Date.now() < deadline) {
        for (const entry of running) {
          if ((await childPids(entry.worker.pid, 'ffmpeg')).length > 0) victim = entry;
        }
        if (!victim) await sleep(100);
      }
      expect(victim).toBeDefined();
      const lost = victim as (typeof running)[number];
      // At once (ffmpeg is running now), the host drops off the network, then dies; its namespace
      // goes with it.
      await lab.removeHost(lost.host).catch(() => {});
      await lost.worker.kill('SIGKILL');
      running.splice(running.indexOf(lost), 1);

      const rows = await waitForFinalStates(database.url, jobIds, FULL ? 600_000 : 150_000);
      await waitForDeliveries(database.url, jobIds);
      expect({ ...summarise(rows, hooks.events), jobs: rows.length }).toEqual({
        ...CLEAN,
        jobs: jobIds.length,
      });
      expect(rows.every((r) => r.state === 'success')).toBe(true);
      // What the lost host had in hand ran again, and nothing else (concurrency 1: one job).
      const retried = await queueRetries(database.url, jobIds);
      const all = [...running.map(({ worker }) => worker), lost.worker];
      expect(
        retried.length,
        `${linesAbout(retried, all)}\n--- lost:\n${lost.worker.log()}\n${JSON.stringify(rows)}`,
      ).toBe(1);
      for (const { worker } of running) expect(await leftovers(worker.tmpDir)).toEqual([]);
      console.log(
        `[scale-out] lost ${lost.host.name} mid-encode: ${jobIds.length} jobs all succeeded once, ${retried.length} ran again`,
      );
      await removeWorkers();
    },
    FULL ? 900_000 : 180_000,
  );

  // Only in `npm run reliability`: a rate is a measurement to record, not a check for CI, and
  // four steps of 40 jobs would add minutes to every CI run.
  it.runIf(FULL)(
    'the rate grows with workers up to the cores (recorded, not asserted beyond 1 → 2)',
    async () => {
      const templateId = await template('rate-gif', { format: 'gif', fps: 10, width: 320, duration: 2 });
      const rates: Record<number, number> = {};
      for (const count of [1, 2, 3, 4]) {
        await addWorkers(count);
        const jobIds = await submitJobs(call, videoId, templateId, 40);
        const rows = await waitForFinalStates(database.url, jobIds, 600_000);
        expect(rows.every((r) => r.state === 'success')).toBe(true);
        const [span] = await queryRows<{ seconds: number }>(
          database.url,
          `select extract(epoch from max(finished_at) - min(started_at))::float as seconds
             from dynamic_image_jobs where job_id = any($1)`,
          [jobIds],
        );
        rates[count] = Math.round((jobIds.length / (span?.seconds ?? 1)) * 60);
        await removeWorkers();
      }
      console.log(
        `[scale-out] jobs/min by workers (one job at a time each, on hosts of their own): ${JSON.stringify(rates)}`,
      );
      expect(rates[2]).toBeGreaterThan(rates[1] as number);
    },
    1_800_000,
  );
});
