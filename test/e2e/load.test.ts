// Load: many short jobs queued at once on one machine. Every job completes once, the resident
// memory of the CMS and of the workers stays flat, and the rate is recorded (not asserted: timings
// belong to benchmarks, and this machine's cores are shared).
// CI runs 40 jobs; `npm run reliability` runs 500.
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
  leftovers,
  median,
  queueRetries,
  removeWorkerDirs,
  rssKb,
  startWorkerProcess,
  submitJobs,
  summarise,
  updateQueue,
  uploadClip,
  type WorkerProcess,
  waitForDeliveries,
  waitForFinalStates,
} from '../support/fleet.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

// RELIABILITY_LOAD_JOBS overrides the count, for a longer look at memory.
const JOBS = Number(process.env.RELIABILITY_LOAD_JOBS) || (FULL ? 500 : 40);
const WORKERS = 2;

let database: TestDatabase;
let cms: RunningCms;
let hooks: WebhookReceiver;
let call: Call;
let apiToken: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  database = await startTestDatabase();
  // One API token queues every job at once: its per-caller limit (docs/limits.md) is set to the count.
  cms = await startCms(database.url, {
    DYNAMIC_IMAGE_WORKER_MODE: 'standalone',
    DYNAMIC_IMAGE_MAX_ACTIVE_JOBS_PER_CALLER: String(Math.max(100, JOBS)),
  });
  const access = await bootstrapAccess(cms.url);
  apiToken = access.apiToken;
  call = apiClient(() => cms.url, apiToken);
  hooks = await startWebhookReceiver();
  await fetch(`${cms.url}/admin/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${access.adminToken}` },
    body: JSON.stringify({ name: 'load', url: hooks.url, headers: {}, events: ['dynamic-image.complete'] }),
  });
  // The settings the workers are started with, on the queue the CMS made (they don't change it).
  await updateQueue(database.url);
  for (let i = 1; i <= WORKERS; i++) {
    workers.push(
      await startWorkerProcess({
        name: `l${i}`,
        databaseUrl: database.url,
        secret: cms.secret,
        cmsUrl: cms.url,
        concurrency: 1,
      }),
    );
  }
}, 300_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  await cms?.stop();
  await hooks?.close();
  await database?.stop();
  await removeWorkerDirs();
});

interface Sample {
  at: number;
  done: number;
  rss: Record<string, number>;
}

/** Medians of each process's RSS (MB) over the first and last quarter of the samples after warm-up. */
function memoryTrend(samples: Sample[], warmedUpAt: number) {
  const steady = samples.filter((s) => s.done >= warmedUpAt);
  const quarter = Math.max(1, Math.floor(steady.length / 4));
  const names = Object.keys(steady[0]?.rss ?? {});
  return Object.fromEntries(
    names.map((name) => {
      const series = steady.map((s) => s.rss[name]).filter((v): v is number => v !== undefined);
      const first = median(series.slice(0, quarter)) / 1024;
      const last = median(series.slice(-quarter)) / 1024;
      return [
        name,
        {
          firstMb: Math.round(first),
          lastMb: Math.round(last),
          peakMb: Math.round(Math.max(...series) / 1024),
        },
      ];
    }),
  );
}

describe(`${JOBS} short jobs queued at once`, () => {
  it(
    'all complete once, memory stays flat, and the rate is recorded',
    async () => {
      const videoId = await uploadClip(cms.url, apiToken, 2);
      // GIF and WebP alike: the CMS stores each result as the worker made it, whatever the format (it
      // once re-encoded every WebP with sharp, and its memory grew with each).
      const templateIds: string[] = [];
      for (const format of ['gif', 'webp']) {
        const template = await call('POST', '/templates', {
          name: `load-${format}`,
          format,
          fps: 5,
          width: 128,
          captureMethod: 'byDuration',
          duration: 0.6,
        });
        templateIds.push(template.json.data.templateId as string);
      }
      const [strapiPid] = await childPids(cms.pid);
      const processes: Record<string, number> = { cms: strapiPid as number };
      for (const w of workers) processes[w.name] = w.pid;

      const samples: Sample[] = [];
      let done = 0;
      const sampler = setInterval(async () => {
        const rss: Record<string, number> = {};
        for (const [name, pid] of Object.entries(processes)) {
          const kb = await rssKb(pid);
          if (kb !== null) rss[name] = kb;
        }
        samples.push({ at: Date.now(), done, rss });
      }, 1000);

      const submitStarted = Date.now();
      // Eight submitters at once: queuing 500 jobs takes seconds, well before the workers finish.
      const batches = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          submitJobs(
            call,
            videoId,
            templateIds[i % 2] as string,
            Math.floor(JOBS / 8) + (i < JOBS % 8 ? 1 : 0),
          ),
        ),
      );
      const jobIds = batches.flat();
      const submitSeconds = (Date.now() - submitStarted) / 1000;
      const rows = await waitForFinalStates(database.url, jobIds, FULL ? 1_800_000 : 300_000, (r) => {
        done = r.filter((x) => x.state === 'success' || x.state === 'failed').length;
      });
      clearInterval(sampler);
      await waitForDeliveries(database.url, jobIds);

      expect({ ...summarise(rows, hooks.events), jobs: rows.length }).toEqual({ ...CLEAN, jobs: JOBS });
      expect(rows.every((r) => r.state === 'success' && r.attempts <= 1)).toBe(true);
      // Each ran once: pg-boss never started one of them a second time.
      expect(await queueRetries(database.url, jobIds)).toEqual([]);
      for (const w of workers) expect(await leftovers(w.tmpDir)).toEqual([]);

      const [span] = await queryRows<{ seconds: number }>(
        database.url,
        `select extract(epoch from max(finished_at) - min(started_at))::float as seconds
           from dynamic_image_jobs where job_id = any($1)`,
        [jobIds],
      );
      const perMinute = (JOBS / (span?.seconds ?? 1)) * 60;
      const trend = memoryTrend(samples, Math.min(10, JOBS / 4));
      // RSS (MB) as the run went on, at each tenth of the jobs done.
      const course = Array.from({ length: 10 }, (_, i) => {
        const sample = samples.find((x) => x.done >= ((i + 1) * JOBS) / 10) ?? samples.at(-1);
        return Object.fromEntries(
          Object.entries(sample?.rss ?? {}).map(([k, v]) => [k, Math.round(v / 1024)]),
        );
      });
      console.log(`[load] RSS (MB) at each tenth of the jobs: ${JSON.stringify(course)}`);
      console.log(
        `[load] ${JOBS} jobs, ${WORKERS} workers × 1: queued in ${submitSeconds.toFixed(1)} s, ` +
          `done in ${span?.seconds.toFixed(1)} s = ${perMinute.toFixed(0)} jobs/min; ` +
          `RSS first→last quarter median (peak), MB: ${JSON.stringify(trend)}; ${samples.length} samples`,
      );
      // Flat: the last quarter's median within 25 % (+20 MB of slack) of the first quarter's.
      for (const [name, t] of Object.entries(trend)) {
        expect(t.lastMb, `${name} RSS grew: ${JSON.stringify(t)}`).toBeLessThanOrEqual(t.firstMb * 1.25 + 20);
      }
    },
    FULL ? 2_400_000 : 360_000,
  );
});
