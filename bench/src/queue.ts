// Method 6: our full job through pg-boss on a real Postgres, with standalone worker processes.
// Also the queue overhead, throughput with one and two workers, and the worker's memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type DynamicImageResult, parseTemplate, type Template } from '@dynamic-image/core';
import { createBoss, ensureQueues, parseWorkerOptions, sendJob } from '@dynamic-image/worker';
import { cpuSecondsOf, peakRssMb } from './measure.ts';

const here = dirname(fileURLToPath(import.meta.url));
const now = () => performance.timeOrigin + performance.now();

interface WorkerEvent {
  type: 'ready' | 'stage' | 'outcome';
  t: number;
  jobId?: string;
  stage?: string;
  status?: string;
  result?: DynamicImageResult;
  error?: { code: string; message: string };
}

export interface WorkerProcess {
  pid: number;
  events: WorkerEvent[];
  outcome(jobId: string, timeoutMs?: number): Promise<WorkerEvent>;
  stop(): Promise<void>;
}

/** A standalone worker process; `env` may point FFMPEG_PATH at a measuring wrapper. */
export async function startWorkerProcess(
  databaseUrl: string,
  concurrency: number,
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(here, 'worker-process.ts'), databaseUrl, String(concurrency)],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const events: WorkerEvent[] = [];
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.startsWith('{')) events.push(JSON.parse(line) as WorkerEvent);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitFor = async (match: (e: WorkerEvent) => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find(match);
      if (found) return found;
      if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`worker timed out; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await waitFor((e) => e.type === 'ready', 60_000);
  return {
    pid: child.pid as number,
    events,
    outcome: (jobId, timeoutMs = 600_000) =>
      waitFor((e) => e.type === 'outcome' && e.jobId === jobId, timeoutMs),
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface JobRun {
  seconds: number;
  /** Job sent → ffmpeg starting (queue pick-up, source check and probe). */
  toFfmpegMs: number;
  /** ffmpeg ended → the outcome event (verification, hashing, delivery). */
  afterFfmpegMs: number;
  encodeMs: number;
  probeMs: number;
  /** CPU seconds of the worker and its ffprobe/ffmpeg, when one job ran alone on one worker. */
  cpuSeconds: number | null;
  result: DynamicImageResult;
}

export type Boss = ReturnType<typeof createBoss>;

export async function connectQueue(databaseUrl: string): Promise<Boss> {
  const options = parseWorkerOptions({ databaseUrl });
  const boss = createBoss(options, 'dynamic-image-bench');
  await boss.start();
  await ensureQueues(boss, options);
  return boss;
}

export const benchTemplate = (
  format: 'gif' | 'webp',
  w: { start: number; duration: number; fps: number; width: number },
): Template =>
  parseTemplate({
    name: `bench-${format}`,
    format,
    fps: w.fps,
    width: w.width,
    captureMethod: 'byDuration',
    start: w.start,
    duration: w.duration,
  });

/** Sends jobs at once and waits for every outcome; times run from each job's send. */
export async function runJobs(
  boss: Boss,
  workers: WorkerProcess[],
  jobs: Array<{ source: string; template: Template; output: string }>,
): Promise<JobRun[]> {
  const alone = workers.length === 1 && jobs.length === 1 ? (workers[0] as WorkerProcess) : null;
  const cpuBefore = alone ? await cpuSecondsOf(alone.pid) : null;
  const sent = [];
  for (const job of jobs) {
    const jobId = randomUUID();
    const t = now();
    await sendJob(boss, {
      version: 1,
      jobId,
      source: { url: job.source },
      template: job.template,
      delivery: { kind: 'file', path: job.output },
    });
    sent.push({ jobId, t });
  }
  const runs: JobRun[] = [];
  for (const { jobId, t } of sent) {
    const outcome = await Promise.race(workers.map((w) => w.outcome(jobId)));
    if (outcome.status !== 'success' || !outcome.result)
      throw new Error(`bench job failed: ${JSON.stringify(outcome.error)}`);
    const cpuAfter = alone ? await cpuSecondsOf(alone.pid) : null;
    const stages = workers.flatMap((w) => w.events).filter((e) => e.jobId === jobId && e.type === 'stage');
    const at = (stage: string) => stages.find((e) => e.stage === stage)?.t ?? Number.NaN;
    runs.push({
      seconds: (outcome.t - t) / 1000,
      toFfmpegMs: at('encode') - t,
      afterFfmpegMs: outcome.t - at('verify'),
      encodeMs: outcome.result.timings.encodeMs,
      probeMs: outcome.result.timings.probeMs,
      cpuSeconds: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
      result: outcome.result,
    });
  }
  return runs;
}

/** A wrapper that runs ffmpeg under GNU time, appending each run's peak RSS (KiB) to a log. */
export async function ffmpegRssWrapper(
  dir: string,
  ffmpeg: string,
): Promise<{ path: string; peakMb: () => Promise<number | null> }> {
  const log = join(dir, 'ffmpeg-rss.log');
  const path = join(dir, 'ffmpeg-measured');
  await writeFile(log, '');
  await writeFile(path, `#!/bin/sh\nexec /usr/bin/time -a -o '${log}' -f '%M' '${ffmpeg}' "$@"\n`);
  await chmod(path, 0o755);
  return {
    path,
    peakMb: async () => {
      const values = (await readFile(log, 'utf8'))
        .split('\n')
        .map(Number)
        .filter((n) => n > 0);
      return values.length ? Math.max(...values) / 1024 : null;
    },
  };
}

export { peakRssMb };
