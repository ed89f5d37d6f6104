// Faults on real processes: standalone workers killed with SIGKILL mid-encode, the CMS killed while
// results are being delivered, an ffmpeg that hangs, and a temporary folder that is full or
// read-only. Each case ends with every job final, one dynamic image, one Media Library file and one
// DynamicImageComplete event per successful job, and empty temporary folders.
// The Postgres restart has a file of its own (postgres-restart.test.ts): it needs a server of its own.

import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveFfmpegBinaries } from '@dynamic-image/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import {
  apiClient,
  type Call,
  CLEAN,
  childPids,
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

const exec = promisify(execFile);
// Every job's time limit, set on the CMS (it goes into each job). Encodes here take a second or two.
const JOB_TIMEOUT_SECONDS = 12;
const CMS_ENV = {
  DYNAMIC_IMAGE_WORKER_MODE: 'standalone',
  DYNAMIC_IMAGE_JOB_TIMEOUT_SECONDS: String(JOB_TIMEOUT_SECONDS),
};

let database: TestDatabase;
let cms: RunningCms;
let hooks: WebhookReceiver;
let apiToken: string;
let call: Call;
let videoId: number;
const workers: WorkerProcess[] = [];

async function template(name: string, fields: Record<string, unknown>): Promise<string> {
  const answer = await call('POST', '/templates', { name, captureMethod: 'byDuration', ...fields });
  expect(answer.status, JSON.stringify(answer.json)).toBe(201);
  return answer.json.data.templateId;
}

async function startWorker(name: string, env: Record<string, string> = {}, tmpDir?: string) {
  const worker = await startWorkerProcess({
    name,
    databaseUrl: database.url,
    secret: cms.secret,
    cmsUrl: cms.url,
    env,
    ...(tmpDir ? { tmpDir } : {}),
  });
  workers.push(worker);
  return worker;
}

async function stopWorkers() {
  await Promise.all(workers.splice(0).map((w) => w.kill('SIGTERM')));
}

/** The job's pg-boss rows (the job queue and the dead-letter queue), for a failure message. */
const queueState = (jobId: string) =>
  queryRows(
    database.url,
    `select name, state, retry_count, retry_limit, heartbeat_on, started_on, now() as now from pgboss.job
      where id::text = $1 or data->>'jobId' = $1`,
    [jobId],
  );

const logs = () => workers.map((w) => `--- ${w.name}\n${w.log().slice(-2000)}`).join('\n');

beforeAll(async () => {
  database = await startTestDatabase();
  cms = await startCms(database.url, CMS_ENV);
  const access = await bootstrapAccess(cms.url);
  apiToken = access.apiToken;
  call = apiClient(() => cms.url, apiToken);
  hooks = await startWebhookReceiver();
  await fetch(`${cms.url}/admin/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${access.adminToken}` },
    body: JSON.stringify({ name: 'faults', url: hooks.url, headers: {}, events: ['dynamic-image.complete'] }),
  });
  videoId = await uploadClip(cms.url, apiToken, 6);
});

afterAll(async () => {
  await stopWorkers();
  await cms?.stop();
  await hooks?.close();
  await database?.stop();
  await removeWorkerDirs();
});

describe('kill -9 of standalone workers in the middle of encoding', () => {
  afterAll(stopWorkers);

  it(
    'retries their jobs on the other workers; each completes exactly once',
    async () => {
      // Retries belong to the live queue (the CMS made it): set on it, as an operator would.
      await updateQueue(database.url, { DYNAMIC_IMAGE_RETRY_LIMIT: '10' });
      for (const name of ['k1', 'k2', 'k3']) await startWorker(name);
      const templateId = await template('kill-gif', { format: 'gif', fps: 15, width: 480, duration: 4 });
      const jobCount = FULL ? 40 : 6;
      const killsWanted = FULL ? 8 : 2;
      const jobIds = await submitJobs(call, videoId, templateId, jobCount);

      let kills = 0;
      const orphans: number[] = [];
      const deadline = Date.now() + (FULL ? 300_000 : 90_000);
      while (kills < killsWanted && Date.now() < deadline) {
        let victim: WorkerProcess | undefined;
        let ffmpegPid: number | undefined;
        for (const worker of workers) {
          [ffmpegPid] = await childPids(worker.pid, 'ffmpeg');
          if (ffmpegPid) {
            victim = worker;
            break;
          }
        }
        if (!victim || !ffmpegPid) {
          await sleep(100);
          continue;
        }
        await sleep(400); // well into the encode
        await victim.kill('SIGKILL');
        kills++;
        // The orphaned ffmpeg dies at its next status line (its stderr pipe is gone).
        const gone = Date.now() + 15_000;
        while ((await isRunning(ffmpegPid)) && Date.now() < gone) await sleep(100);
        if (await isRunning(ffmpegPid)) orphans.push(ffmpegPid);
        // Like a supervisor (systemd Restart=always): a new worker on the dead one's folder.
        workers.splice(workers.indexOf(victim), 1);
        await startWorker(`${victim.name}r`, {}, victim.tmpDir);
      }

      const rows = await waitForFinalStates(database.url, jobIds, FULL ? 600_000 : 120_000);
      await waitForDeliveries(database.url, jobIds);
      expect(kills, logs()).toBe(killsWanted);
      expect(orphans).toEqual([]);
      expect({ ...summarise(rows, hooks.events), jobs: 0 }, logs()).toEqual({ ...CLEAN, jobs: 0 });
      expect(rows.every((r) => r.state === 'success')).toBe(true);
      // The killed jobs ran again elsewhere: attempts count the runs that reported progress.
      expect(rows.filter((r) => r.attempts > 1).length).toBeGreaterThanOrEqual(1);
      const dirs = workers.map((w) => w.tmpDir);
      await stopWorkers();
      for (const dir of dirs) expect(await leftovers(dir), dir).toEqual([]);
      console.log(
        `[faults] kill -9: ${jobCount} jobs, ${kills} workers killed mid-encode, ` +
          `${rows.filter((r) => r.attempts > 1).length} jobs ran again, all ${rows.length} succeeded once`,
      );
    },
    FULL ? 900_000 : 240_000,
  );
});

describe('a worker that dies with no retries left', () => {
  afterAll(stopWorkers);

  it('its job ends failed, with its event, through the dead-letter queue', async () => {
    await updateQueue(database.url, { DYNAMIC_IMAGE_RETRY_LIMIT: '0' });
    const worker = await startWorker('last');
    const templateId = await template('dead-gif', { format: 'gif', fps: 15, width: 480, duration: 4 });
    const [jobId] = await submitJobs(call, videoId, templateId, 1);
    await waitUntil(
      'the worker running ffmpeg',
      async () => (await childPids(worker.pid, 'ffmpeg')).length > 0,
      {
        timeout: 60_000,
        interval: 100,
        detail: () => logs(),
      },
    );
    await worker.kill('SIGKILL');
    workers.splice(workers.indexOf(worker), 1);
    const rows = await waitForFinalStates(database.url, [jobId as string], 60_000);
    // Checked before the event is awaited, so a job that never ends fails here, with its queue state.
    expect(rows[0], JSON.stringify(await queueState(jobId as string))).toMatchObject({
      state: 'failed',
      errorCode: 'INTERNAL',
      images: 0,
      files: 0,
    });
    await waitForDeliveries(database.url, [jobId as string]);
    const [row] = await queryRows<{ message: string }>(
      database.url,
      'select error_message as message from dynamic_image_jobs where job_id = $1',
      [jobId],
    );
    expect(row?.message).toMatch(/its last worker stopped without a result/);
    expect({ ...summarise(rows, hooks.events), jobs: 0 }).toEqual({ ...CLEAN, jobs: 0 });
    // The next worker on that folder clears what the dead one left.
    const next = await startWorker('next', {}, worker.tmpDir);
    expect(next.log()).toMatch(/removed 1 job folder/);
    expect(await leftovers(worker.tmpDir)).toEqual([]);
  }, 120_000);
});

describe('the CMS killed while workers deliver results', () => {
  afterAll(stopWorkers);

  it(
    'workers send the results again until the restarted CMS takes them, once per job',
    async () => {
      await updateQueue(database.url); // the default retries
      for (const name of ['c1', 'c2']) await startWorker(name);
      const templateId = await template('restart-gif', { format: 'gif', fps: 10, width: 320, duration: 2 });
      const jobCount = FULL ? 20 : 6;
      const jobIds = await submitJobs(call, videoId, templateId, jobCount);
      // Once results are flowing, kill Strapi itself (the start script's child) without warning.
      await waitForFinalStates(database.url, jobIds, 60_000, async (rows) => {
        if (rows.some((r) => r.state === 'success')) throw new Error('stop waiting');
      }).catch(() => {});
      const [strapiPid] = await childPids(cms.pid);
      expect(strapiPid).toBeDefined();
      process.kill(strapiPid as number, 'SIGKILL');
      await cms.stop();
      const downAt = Date.now();
      await sleep(3000);
      cms = await startCms(database.url, CMS_ENV, { port: cms.port });
      const downSeconds = (Date.now() - downAt) / 1000;

      const rows = await waitForFinalStates(database.url, jobIds, FULL ? 600_000 : 120_000);
      await waitForDeliveries(database.url, jobIds);
      expect({ ...summarise(rows, hooks.events), jobs: 0 }, logs()).toEqual({ ...CLEAN, jobs: 0 });
      expect(rows.every((r) => r.state === 'success')).toBe(true);
      const resent = workers.reduce((n, w) => n + (w.log().match(/sending again/g)?.length ?? 0), 0);
      const dirs = workers.map((w) => w.tmpDir);
      await stopWorkers();
      for (const dir of dirs) expect(await leftovers(dir), dir).toEqual([]);
      console.log(
        `[faults] CMS kill -9 and restart: down ${downSeconds.toFixed(1)} s, ${resent} sends retried, ` +
          `${rows.length} jobs succeeded once, attempts ${rows.map((r) => r.attempts).join(',')}`,
      );
    },
    FULL ? 900_000 : 240_000,
  );
});

describe('an ffmpeg that hangs', () => {
  let dir: string;
  afterAll(async () => {
    await stopWorkers();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'times the job out, kills ffmpeg (no orphan), retries once and ends failed with TIMEOUT',
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'dynamic-image-hang-'));
      const pids = join(dir, 'pids');
      const script = join(dir, 'ffmpeg');
      // An encode (a run with an input) records its pid and becomes a sleep that never ends: an
      // ffmpeg stuck on a stalled input. Anything else (-formats, -encoders) is the real ffmpeg.
      const real = resolveFfmpegBinaries().ffmpeg.path;
      await writeFile(
        script,
        `#!/bin/sh\ncase " $* " in\n  *" -i "*) echo $$ >> "${pids}"; exec sleep 3600 ;;\n  *) exec "${real}" "$@" ;;\nesac\n`,
      );
      await chmod(script, 0o755);
      await updateQueue(database.url, { DYNAMIC_IMAGE_RETRY_LIMIT: '1' });
      const worker = await startWorker('hang', {
        FFMPEG_PATH: script,
        FFPROBE_PATH: resolveFfmpegBinaries().ffprobe.path,
      });
      const templateId = await template('hang-gif', { format: 'gif', fps: 5, width: 160, duration: 1 });
      const [jobId] = await submitJobs(call, videoId, templateId, 1);
      const rows = await waitForFinalStates(database.url, [jobId as string], 4 * JOB_TIMEOUT_SECONDS * 1000);
      await waitForDeliveries(database.url, [jobId as string]);
      expect(rows[0], worker.log()).toMatchObject({ state: 'failed', errorCode: 'TIMEOUT', attempts: 2 });
      expect({ ...summarise(rows, hooks.events), jobs: 0 }).toEqual({ ...CLEAN, jobs: 0 });
      const started = (await exec('cat', [pids])).stdout.trim().split('\n').map(Number);
      expect(started.length).toBeGreaterThanOrEqual(2); // one per attempt
      for (const pid of started) expect(await isRunning(pid), `ffmpeg ${pid} still runs`).toBe(false);
      expect(await isRunning(worker.pid)).toBe(true); // the worker itself carries on
      expect(await leftovers(worker.tmpDir)).toEqual([]);
      console.log(
        `[faults] hung ffmpeg: ${started.length} ffmpeg runs killed at the ${JOB_TIMEOUT_SECONDS} s limit`,
      );
    },
    6 * JOB_TIMEOUT_SECONDS * 1000,
  );
});

describe('a temporary folder that is full or read-only', () => {
  const mounts: string[] = [];
  afterAll(async () => {
    await stopWorkers();
    for (const mount of mounts) {
      await exec('umount', [mount]).catch(() => {});
      await rm(mount, { recursive: true, force: true });
    }
  });

  async function tmpfs(options: string): Promise<string> {
    const mount = await mkdtemp(join(tmpdir(), 'dynamic-image-tmpfs-'));
    mounts.push(mount);
    await exec('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mount]);
    return mount;
  }

  it.each([
    ['full', 'size=1m'],
    ['read-only', 'size=64k,ro'],
  ])(
    'a %s folder fails the job cleanly with STORAGE_UNAVAILABLE',
    async (kind, options) => {
      const mount = await tmpfs(options);
      if (kind === 'full') {
        // 16 KB left: room for the job's folder, not for its output.
        await writeFile(join(mount, 'filler'), Buffer.alloc(1024 * 1024 - 16 * 1024));
        await mkdir(join(mount, 'work'));
      }
      const dir = kind === 'full' ? join(mount, 'work') : mount;
      await updateQueue(database.url, { DYNAMIC_IMAGE_RETRY_LIMIT: '0' });
      const worker = await startWorker(`disk-${kind}`, {}, dir);
      const templateId = await template(`disk-${kind}`, { format: 'gif', fps: 10, width: 480, duration: 3 });
      const [jobId] = await submitJobs(call, videoId, templateId, 1);
      const rows = await waitForFinalStates(database.url, [jobId as string], 60_000);
      await waitForDeliveries(database.url, [jobId as string]);
      expect(rows[0], worker.log()).toMatchObject({ state: 'failed', errorCode: 'STORAGE_UNAVAILABLE' });
      const [row] = await queryRows<{ message: string }>(
        database.url,
        'select error_message as message from dynamic_image_jobs where job_id = $1',
        [jobId],
      );
      console.log(`[faults] ${kind} temporary folder: ${row?.message.slice(0, 160)}`);
      expect({ ...summarise(rows, hooks.events), jobs: 0 }).toEqual({ ...CLEAN, jobs: 0 });
      expect(await isRunning(worker.pid)).toBe(true);
      expect(await leftovers(dir)).toEqual([]);
      await stopWorkers();
    },
    120_000,
  );
});
