// Real worker processes, the CMS's API, and the checks every fault and load test ends with.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateSample, resolveFfmpegBinaries } from '@dynamic-image/worker';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { repoRoot } from './cms.js';

// biome-ignore lint/suspicious/noExplicitAny: API answers are read loosely in tests.
export type Json = Record<string, any>;

const exec = promisify(execFile);

/** `RELIABILITY_SCALE=full` (npm run reliability) runs the heavy versions; CI runs the small ones. */
export const FULL = process.env.RELIABILITY_SCALE === 'full';

/**
 * Queue settings that make a dead worker's job come back in seconds rather than minutes. They belong to
 * the live queue (the CMS makes it first), so a test sets them with updateQueue, as an operator would.
 */
export const FAST_QUEUE: Record<string, string> = {
  DYNAMIC_IMAGE_HEARTBEAT_SECONDS: '10',
  DYNAMIC_IMAGE_RETRY_DELAY_SECONDS: '1',
};

/** Each worker's own side of a fast recovery: how often it looks for lapsed heartbeats and for jobs. */
export const FAST_RECOVERY: Record<string, string> = {
  ...FAST_QUEUE,
  DYNAMIC_IMAGE_SUPERVISE_INTERVAL_SECONDS: '2',
  DYNAMIC_IMAGE_POLLING_INTERVAL_SECONDS: '0.5',
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface WorkerProcess {
  name: string;
  pid: number;
  tmpDir: string;
  log(): string;
  exited: Promise<number | null>;
  /** Sends the signal and waits for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface WorkerProcessOptions {
  name: string;
  databaseUrl: string;
  secret: string;
  /** The CMS's public URL: the worker delivers results only there, and reads sources from it. */
  cmsUrl: string;
  concurrency?: number;
  tmpDir?: string;
  env?: Record<string, string>;
  /** Runs the worker inside this network namespace (`ip netns exec`). */
  netns?: string;
}

// Temporary folders made for workers here, removed by removeWorkerDirs() when a test file ends.
const madeDirs: string[] = [];

export async function removeWorkerDirs(): Promise<void> {
  for (const dir of madeDirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** `dynamic-image work` as its own process, ready once it says it is working. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  let tmpDir = options.tmpDir;
  if (!tmpDir) {
    tmpDir = await mkdtemp(join(tmpdir(), `dynamic-image-tmp-${options.name}-`));
    madeDirs.push(tmpDir);
  }
  const cli = [join(repoRoot, 'packages', 'worker', 'dist', 'cli.js'), 'work'];
  cli.push('--concurrency', String(options.concurrency ?? 1));
  const [command, args] = options.netns
    ? ['/usr/sbin/ip', ['netns', 'exec', options.netns, process.execPath, ...cli]]
    : [process.execPath, cli];
  const child: ChildProcess = spawn(command as string, args as string[], {
    env: {
      ...process.env,
      ...FAST_RECOVERY,
      DATABASE_URL: options.databaseUrl,
      DYNAMIC_IMAGE_WORKER_SECRET: options.secret,
      DYNAMIC_IMAGE_CMS_URL: options.cmsUrl,
      DYNAMIC_IMAGE_TMP_DIR: tmpDir,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const worker: WorkerProcess = {
    name: options.name,
    pid: child.pid as number,
    tmpDir,
    log: () => output,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 60_000;
  while (!output.includes('working on dynamic-image.jobs')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker ${options.name} did not start:\n${output.slice(-3000)}`);
    }
    await sleep(100);
  }
  return worker;
}

/**
 * Sets the live job queue's retries and heartbeat (FAST_QUEUE, then `settings`, e.g.
 * DYNAMIC_IMAGE_RETRY_LIMIT) with `dynamic-image queue --update`, and returns the settings in force. Jobs
 * sent afterwards carry them; a worker's own variables don't change a queue the CMS already made.
 */
export async function updateQueue(databaseUrl: string, settings: Record<string, string> = {}): Promise<Json> {
  const cli = join(repoRoot, 'packages', 'worker', 'dist', 'cli.js');
  const { stdout } = await exec(process.execPath, [cli, 'queue', '--update'], {
    env: { ...process.env, ...FAST_QUEUE, ...settings, DATABASE_URL: databaseUrl },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Json;
}

/** Resident memory of a process in kB, or null once it is gone. */
export async function rssKb(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const match = status && /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) : null;
}

/** The pids of a process's direct children with this command name (from /proc). */
export async function childPids(parent: number, comm?: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    const name = stat.slice(stat.indexOf('(') + 1, close);
    if (ppid === parent && (!comm || name === comm)) found.push(Number(entry));
  }
  return found;
}

export async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  // A zombie has ended; it only waits for its parent to read its status.
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

export type Call = (
  method: string,
  path: string,
  body?: unknown,
  form?: FormData,
) => Promise<{ status: number; json: Json }>;

/** The plugin's content API with a full-access token. */
export function apiClient(baseUrl: () => string, token: string): Call {
  return async (method, path, body, form) => {
    const response = await fetch(`${baseUrl()}/api/dynamic-image${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: form ?? (body ? JSON.stringify(body) : undefined),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Json) : {} };
  };
}

/** The same streams in another container (`-c copy`): a clip as QuickTime, a sound as an MP4 file. */
export async function remux(input: string, output: string, format: string): Promise<string> {
  const ffmpeg = resolveFfmpegBinaries().ffmpeg.path;
  await exec(ffmpeg, ['-y', '-v', 'error', '-i', input, '-c', 'copy', '-f', format, output]);
  return output;
}

/** Uploads a generated clip to the Media Library (no workflow: no job) and returns its videoId. */
export async function uploadClip(baseUrl: string, token: string, seconds = 3): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-e2e-'));
  const clip = await generateSample(resolveFfmpegBinaries(), 'landscape', dir, seconds);
  const form = new FormData();
  form.append('files', new Blob([await readFile(clip)], { type: 'video/mp4' }), 'clip.mp4');
  await rm(dir, { recursive: true, force: true });
  const response = await fetch(`${baseUrl}/api/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const files = (await response.json()) as Array<{ id: number }>;
  if (!response.ok || !files[0])
    throw new Error(`upload failed: ${response.status} ${JSON.stringify(files)}`);
  return files[0].id;
}

/** Queues `count` jobs of one template on one video (force: each is a job of its own). */
export async function submitJobs(call: Call, videoId: number, templateId: string, count: number) {
  const jobIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await call('POST', '/jobs', { videoId, templateId, force: true });
    if (answer.status !== 201 && answer.status !== 200) {
      throw new Error(`job not submitted: ${answer.status} ${JSON.stringify(answer.json)}`);
    }
    jobIds.push(answer.json.data.jobId);
  }
  return jobIds;
}

export interface JobRow {
  jobId: string;
  state: string;
  attempts: number;
  errorCode: string | null;
  images: number;
  files: number;
}

/**
 * Straight from the database: each job's state, how many dynamic images it has, and how many
 * Media Library files carry its name (the plugin names result files `<video>-<jobId[0:8]>.<ext>`).
 */
export async function jobRows(databaseUrl: string, jobIds: string[]): Promise<JobRow[]> {
  return queryRows<JobRow>(
    databaseUrl,
    `select j.job_id as "jobId", j.state, j.attempts, j.error_code as "errorCode",
            (select count(*)::int from dynamic_images d where d.job_id = j.job_id) as images,
            (select count(*)::int from files f where f.name like '%-' || left(j.job_id, 8) || '.%') as files
       from dynamic_image_jobs j where j.job_id = any($1)`,
    [jobIds],
  );
}

/** pg-boss's view: the jobs it started more than once (retry_count > 0). */
export async function queueRetries(databaseUrl: string, jobIds: string[]): Promise<string[]> {
  const rows = await queryRows<{ id: string; retried: boolean }>(
    databaseUrl,
    `select id::text, retry_count > 0 as retried from pgboss.job
      where name = 'dynamic-image.jobs' and id = any($1::uuid[])`,
    [jobIds],
  );
  if (rows.length !== jobIds.length) throw new Error(`pg-boss holds ${rows.length} of ${jobIds.length} jobs`);
  return rows.filter((r) => r.retried).map((r) => r.id);
}

/** The lines of these logs that mention any of these jobs: what to show when a check fails. */
export function linesAbout(jobIds: string[], logs: Array<{ name: string; log(): string }>): string {
  return logs
    .flatMap(({ name, log }) =>
      log()
        .split('\n')
        .filter((line) => jobIds.some((id) => line.includes(id)))
        .map((line) => `${name}: ${line}`),
    )
    .join('\n');
}

/** Waits until every job is `success` or `failed` (or the time is up) and returns the rows. */
export async function waitForFinalStates(
  databaseUrl: string,
  jobIds: string[],
  timeoutMs: number,
  onTick?: (rows: JobRow[]) => void | Promise<void>,
): Promise<JobRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await jobRows(databaseUrl, jobIds).catch(() => null);
    if (rows) {
      await onTick?.(rows);
      const open = rows.filter((r) => r.state !== 'success' && r.state !== 'failed');
      if (rows.length === jobIds.length && open.length === 0) return rows;
      if (Date.now() > deadline) return rows;
    } else if (Date.now() > deadline) {
      throw new Error('the database could not be read');
    }
    await sleep(500);
  }
}

/**
 * Waits until the plugin has settled every job's DynamicImageComplete: each job has its delivery rows and
 * none is still pending or retrying (the receiver has answered). Then the receiver holds every event it
 * will get, so a count of them is final, with no guess at how long delivery takes.
 */
export async function waitForDeliveries(databaseUrl: string, jobIds: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await queryRows<{ open: number }>(
      databaseUrl,
      `select count(*)::int as open from unnest($1::text[]) as j(id)
        where not exists (select 1 from dynamic_image_event_deliveries d where d.job_id = j.id)
           or exists (select 1 from dynamic_image_event_deliveries d
                       where d.job_id = j.id and d.state in ('pending', 'retrying'))`,
      [jobIds],
    );
    if (row?.open === 0 || Date.now() > deadline) return;
    await sleep(200);
  }
}

/**
 * What every fault test ends with, as one object so a failure shows all of it. Delivery is at least once
 * (docs/event-delivery.md): a CMS that loses its database between the receiver's answer and recording it
 * posts again, with the same `x-dynamic-image-delivery` header. So events are counted as a receiver that
 * dedupes counts them: one per delivery; two deliveries of one job's event are still two.
 */
export function summarise(rows: JobRow[], events: Json[]) {
  const deliveriesPerJob = new Map<string, Set<string>>();
  for (const [index, e] of events.entries()) {
    const job = String(e.JobId);
    // An event without the header (none should lack it) counts on its own.
    const delivery = String(e.headers?.['x-dynamic-image-delivery'] ?? `without-header-${index}`);
    deliveriesPerJob.set(job, (deliveriesPerJob.get(job) ?? new Set()).add(delivery));
  }
  const eventsPerJob = new Map([...deliveriesPerJob].map(([job, ids]) => [job, ids.size]));
  return {
    jobs: rows.length,
    notFinal: rows.filter((r) => r.state !== 'success' && r.state !== 'failed').map((r) => r.jobId),
    successWithoutOneImage: rows.filter((r) => r.state === 'success' && r.images !== 1).map((r) => r.jobId),
    successWithoutOneFile: rows.filter((r) => r.state === 'success' && r.files !== 1).map((r) => r.jobId),
    failedWithImages: rows.filter((r) => r.state === 'failed' && (r.images > 0 || r.files > 0)).length,
    withoutOneEvent: rows.filter((r) => eventsPerJob.get(r.jobId) !== 1).map((r) => r.jobId),
  };
}

export const CLEAN = {
  notFinal: [],
  successWithoutOneImage: [],
  successWithoutOneFile: [],
  failedWithImages: 0,
  withoutOneEvent: [],
};

/** Everything left in a worker's temporary folder (it must be empty once its jobs are over). */
export async function leftovers(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Runs `ip …` (iproute2), throwing with its stderr. */
export async function ip(...args: string[]): Promise<string> {
  const { stdout } = await exec('/usr/sbin/ip', args);
  return stdout;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
