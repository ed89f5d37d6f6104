// A worker on a real queue, with a stand-in CMS and a stranger on real sockets: what a job in the
// queue can make the worker do, what the ffmpeg it starts can see, and what its failures reveal.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DynamicImageJobData } from '@dynamic-image/core';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBoss, ensureQueues, sendJob } from '../src/queue.js';
import { type JobOutcome, type RunningWorker, startWorker } from '../src/worker.js';
import { emptyDir, jobFor, samples, workDir } from './support/helpers.js';

const databaseUrl = inject('databaseUrl');
const queueOptions = {
  databaseUrl,
  schema: 'pgboss_security',
  retryLimit: 0,
  retryDelaySeconds: 0,
  retryBackoff: false,
  expireInSeconds: 120,
  heartbeatSeconds: 10,
};
const SECRET = 'worker-secret-never-for-ffmpeg';

interface Recorder {
  base: string;
  requests: Array<{ method: string; url: string; body: string }>;
  close(): void;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const requests: Recorder['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  } satisfies Recorder;
}

/** Pids of this process's children with their command names. */
async function children(): Promise<Array<{ pid: number; comm: string }>> {
  const found: Array<{ pid: number; comm: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
    const close = stat.lastIndexOf(')');
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (ppid === process.pid)
      found.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return found;
}

describe('a worker and the jobs in its queue', () => {
  let worker: RunningWorker;
  let sender: PgBoss;
  let cms: Recorder;
  let stranger: Recorder;
  let deliveryDir: string;
  const log: string[] = [];
  const outcomes = new Map<string, (o: JobOutcome) => void>();
  const finalOutcome = (jobId: string) => new Promise<JobOutcome>((resolve) => outcomes.set(jobId, resolve));
  // Requests for /held.mp4 wait here until the test lets them go.
  const held: Array<() => void> = [];
  let onHeld: (() => void) | null = null;
  let video: Buffer;
  const saved = {
    DATABASE_URL: process.env.DATABASE_URL,
    DYNAMIC_IMAGE_WORKER_SECRET: process.env.DYNAMIC_IMAGE_WORKER_SECRET,
  };

  beforeAll(async () => {
    video = await readFile(samples.landscape);
    deliveryDir = await emptyDir('deliveries-');
    // What the CMS's process holds, as a worker started by `dynamic-image work` or inside Strapi has it.
    process.env.DATABASE_URL = databaseUrl;
    process.env.DYNAMIC_IMAGE_WORKER_SECRET = SECRET;
    cms = await listen((req, res) => {
      if (req.url === '/landscape.mp4') return res.writeHead(200, { 'content-type': 'video/mp4' }).end(video);
      if (req.url === '/not-a-video.mp4') return res.writeHead(200).end(Buffer.alloc(4096, 0x41));
      if (req.url === '/held.mp4') {
        held.push(() => res.writeHead(200, { 'content-type': 'video/mp4' }).end(video));
        onHeld?.();
        return;
      }
      res.writeHead(204).end();
    });
    stranger = await listen((_, res) => res.writeHead(204).end());
    worker = await startWorker(
      {
        ...queueOptions,
        concurrency: 1,
        pollingIntervalSeconds: 0.5,
        jobTimeoutSeconds: 60,
        workerSecret: SECRET,
        cmsUrl: cms.base,
        fileDeliveryDir: deliveryDir,
      },
      {
        log: (line) => log.push(line),
        onOutcome: (o) => {
          if (o.status === 'success' || o.final) outcomes.get(o.jobId)?.(o);
        },
      },
    );
    sender = createBoss(queueOptions, 'security-sender');
    sender.on('error', () => {});
    await sender.start();
    await ensureQueues(sender, queueOptions);
  });

  afterAll(async () => {
    await worker?.stop();
    await sender?.stop({ graceful: false });
    cms?.close();
    stranger?.close();
    process.env.DATABASE_URL = saved.DATABASE_URL;
    process.env.DYNAMIC_IMAGE_WORKER_SECRET = saved.DYNAMIC_IMAGE_WORKER_SECRET;
    if (saved.DATABASE_URL === undefined) delete process.env.DATABASE_URL;
    if (saved.DYNAMIC_IMAGE_WORKER_SECRET === undefined) delete process.env.DYNAMIC_IMAGE_WORKER_SECRET;
  });

  const httpJob = (source: string, deliverTo: string): DynamicImageJobData => {
    const job = jobFor(source, { width: 160 });
    return {
      ...job,
      delivery: { kind: 'http', url: `${deliverTo}/api/dynamic-image/worker/jobs/${job.jobId}` },
    };
  };

  it('delivers a job to its CMS, reading the source from the CMS', async () => {
    const job = httpJob(`${cms.base}/landscape.mp4`, cms.base);
    const done = finalOutcome(job.jobId);
    await sendJob(sender, job);
    expect(await done).toMatchObject({ status: 'success' });
    expect(cms.requests.some((r) => r.url === `/api/dynamic-image/worker/jobs/${job.jobId}`)).toBe(true);
  });

  it('refuses a job whose delivery URL is on another origin: nothing is fetched, nothing sent there', async () => {
    const job = httpJob(`${cms.base}/landscape.mp4`, stranger.base);
    const fetched = cms.requests.length;
    const done = finalOutcome(job.jobId);
    await sendJob(sender, job);
    expect(await done).toMatchObject({ status: 'failed', error: { code: 'INVALID_JOB' } });
    expect(stranger.requests).toEqual([]);
    expect(cms.requests.length).toBe(fetched);
  });

  it('refuses a job that would write its result outside the delivery folder', async () => {
    const outside = join(workDir, `escaped-${process.pid}.gif`);
    const job = jobFor(`${cms.base}/landscape.mp4`, { width: 160 }, outside);
    const done = finalOutcome(job.jobId);
    await sendJob(sender, job);
    expect(await done).toMatchObject({ status: 'failed', error: { code: 'INVALID_JOB' } });
    expect(existsSync(outside)).toBe(false);
    // Inside the folder it is written.
    const inside = jobFor(`${cms.base}/landscape.mp4`, { width: 160 }, join(deliveryDir, 'ok.gif'));
    const ok = finalOutcome(inside.jobId);
    await sendJob(sender, inside);
    expect(await ok).toMatchObject({ status: 'success' });
    expect(existsSync(join(deliveryDir, 'ok.gif'))).toBe(true);
  });

  it('reads sources from its CMS only by default', async () => {
    const job = httpJob(`${stranger.base}/landscape.mp4`, cms.base);
    const done = finalOutcome(job.jobId);
    await sendJob(sender, job);
    expect(await done).toMatchObject({ status: 'failed', error: { code: 'UNSUPPORTED_SOURCE' } });
    expect(stranger.requests).toEqual([]);
  });

  it('starts ffprobe and ffmpeg without the database URL, the secret or anything else of the worker', async () => {
    const job = httpJob(`${cms.base}/held.mp4`, cms.base);
    const done = finalOutcome(job.jobId);
    const seen = new Map<string, string>();
    let finished = false;
    void done.then(() => {
      finished = true;
      onHeld?.();
    });
    await sendJob(sender, job);
    // Each request for the source waits until the process that made it has been looked at.
    while (!finished) {
      if (held.length === 0) await new Promise<void>((resolve) => (onHeld = resolve));
      onHeld = null;
      for (const child of await children()) {
        const environ = await readFile(`/proc/${child.pid}/environ`, 'latin1').catch(() => null);
        if (environ !== null) seen.set(`${child.comm} ${child.pid}`, environ);
      }
      for (const release of held.splice(0)) release();
    }
    expect(await done).toMatchObject({ status: 'success' });
    const names = [...seen.keys()].map((k) => k.split(' ')[0]);
    expect(names).toContain('ffprobe');
    expect(names).toContain('ffmpeg');
    for (const environ of seen.values()) {
      const variables = environ.split('\0').filter(Boolean);
      // PWD is the working folder, set by the shell that applies the limits.
      expect(variables.map((v) => v.split('=')[0]).sort()).toEqual(['GCONV_PATH', 'LANG', 'PATH', 'PWD']);
      expect(environ).not.toContain(SECRET);
      expect(environ).not.toContain(databaseUrl);
    }
  });

  it('sends the CMS a failure without the gateway URL, addresses or paths; the log keeps them', async () => {
    const job = httpJob(`${cms.base}/not-a-video.mp4`, cms.base);
    const done = finalOutcome(job.jobId);
    await sendJob(sender, job);
    const outcome = await done;
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'DAMAGED_SOURCE' } });
    const report = cms.requests.find((r) => r.url === `/api/dynamic-image/worker/jobs/${job.jobId}/failure`);
    expect(report).toBeDefined();
    const sent = JSON.parse(report?.body ?? '{}') as { code: string; message: string };
    expect(sent.code).toBe('DAMAGED_SOURCE');
    expect(sent.message).not.toMatch(/127\.0\.0\.1|\/source\/|\/tmp\/|0x[0-9a-f]{6,}/);
    expect(log.find((line) => line.includes(job.jobId) && line.includes('failed'))).toMatch(/127\.0\.0\.1/);
  });
});
