// Hostile and broken sources (RELIABILITY.md, "Hostile and broken input"): every one ends as a verified
// output or a failed job with the right code, within its time limit, and the worker keeps working.
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamicImageError, QUEUE_NAMES } from '@dynamic-image/core';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inspectAnimation } from '../src/animation.js';
import { deliverToFile } from '../src/delivery.js';
import { runPipeline } from '../src/pipeline.js';
import { createBoss, ensureQueues, sendJob } from '../src/queue.js';
import { buildCorpus, type CorpusEntry, type Expected } from './support/corpus.js';
import { binaries, emptyDir, ffmpegChildren, jobFor, listDir, samples, workDir } from './support/helpers.js';

// Each job's time limit: well above what any entry needs (the slowest takes under a second), so a
// TIMEOUT here means a source made the worker hang.
const JOB_TIMEOUT_SECONDS = 10;
const BASE_TEMPLATE = { width: 160, fps: 10, start: 1, duration: 2 };

interface Outcome {
  got: Expected;
  message: string;
  ms: number;
  output?: string | undefined;
}

function serveDir(dir: string, requests: string[]): Promise<Server> {
  const server = createServer(async (req, res) => {
    requests.push(req.url ?? '');
    const file = join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const size = await stat(file).then(
      (s) => (s.isFile() ? s.size : -1),
      () => -1,
    );
    if (size < 0) return res.writeHead(404).end();
    res.writeHead(200, { 'content-length': size });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}

/** What is wrong with an outcome for its entry, if anything. */
async function problems(entry: CorpusEntry, o: Outcome | undefined): Promise<string[]> {
  if (!o) return [`${entry.name}: no outcome`];
  const wrong: string[] = [];
  if (!entry.expect.includes(o.got))
    wrong.push(`${entry.name}: ${o.got} (${o.message}), expected ${entry.expect}`);
  if (o.ms > (JOB_TIMEOUT_SECONDS + 5) * 1000) wrong.push(`${entry.name}: took ${Math.round(o.ms)} ms`);
  if (o.got === 'success') {
    // The pipeline verified it; check again, independently, from the bytes delivered.
    const info = inspectAnimation(await readFile(o.output as string));
    if (info.format !== 'gif' || info.width !== 160 || info.loopCount !== 0 || info.frameCount < 1) {
      wrong.push(`${entry.name}: output ${JSON.stringify(info)}`);
    }
  }
  return wrong;
}

const requests: string[] = [];
let server: Server;
let corpus: CorpusEntry[] = [];

beforeAll(async () => {
  const dir = join(workDir, 'corpus');
  // The server starts first so that entries can point at its address.
  server = await serveDir(dir, requests);
  const { port } = server.address() as AddressInfo;
  corpus = await buildCorpus(binaries, dir, { httpBase: `http://127.0.0.1:${port}` });
}, 180_000);

afterAll(() => {
  server?.close();
});

function summary(label: string, outcomes: Map<string, Outcome>, wallMs: number) {
  if (!process.env.CORPUS_REPORT) return;
  const counts: Record<string, number> = {};
  for (const o of outcomes.values()) counts[o.got] = (counts[o.got] ?? 0) + 1;
  const rows = corpus.map((e) => {
    const o = outcomes.get(e.name);
    return `| ${e.category} | ${e.name} | ${o?.got} | ${Math.round(o?.ms ?? 0)} | ${o?.message.slice(0, 100)}`;
  });
  console.log(
    [
      `${label}: ${outcomes.size} sources, ${Math.round(wallMs)} ms wall`,
      JSON.stringify(counts),
      ...rows,
    ].join('\n'),
  );
}

describe('a corpus of bad and unusual sources, through the pipeline', () => {
  const outcomes = new Map<string, Outcome>();
  let tmpDir = '';

  beforeAll(async () => {
    tmpDir = await emptyDir('corpus-tmp-');
    const outDir = await emptyDir('corpus-out-');
    const started = performance.now();
    await pool(corpus, 2, async (entry, index) => {
      const job = jobFor(entry.source, { ...BASE_TEMPLATE, ...entry.template }, join(outDir, `${index}.gif`));
      job.timeoutSeconds = JOB_TIMEOUT_SECONDS;
      const t0 = performance.now();
      const outcome = await runPipeline(
        job,
        {
          binaries,
          tmpDir,
          // The entries served over HTTP come from this test's server on loopback.
          sourcePolicy: { allowFile: true, allowedNetworks: ['127.0.0.0/8'] },
          timeoutSeconds: JOB_TIMEOUT_SECONDS,
        },
        async (output) => {
          await deliverToFile(job, output);
          return { got: 'success' as const, message: '', output: join(outDir, `${index}.gif`) };
        },
      ).catch((err: unknown) => ({
        // Anything but a DynamicImageError is a crash of the pipeline and fails the test.
        got: (err instanceof DynamicImageError ? err.code : `crash: ${String(err)}`) as Expected,
        message: err instanceof Error ? err.message : String(err),
        output: undefined,
      }));
      outcomes.set(entry.name, { ...outcome, ms: performance.now() - t0 });
    });
    summary('pipeline', outcomes, performance.now() - started);
  }, 300_000);

  it('holds at least 50 bad or unusual sources in every category', () => {
    const bad = corpus.filter((e) => e.category !== 'control');
    expect(bad.length).toBeGreaterThanOrEqual(50);
    expect(new Set(bad.map((e) => e.category))).toEqual(
      new Set([
        'truncated',
        'bit-flipped',
        'not video',
        'audio only',
        'image',
        'huge dimensions',
        'long and sparse',
        'playlist',
        'subtitles only',
      ]),
    );
  });

  it('every source ends as expected, within its time limit', async () => {
    const wrong: string[] = [];
    for (const entry of corpus) wrong.push(...(await problems(entry, outcomes.get(entry.name))));
    expect(wrong).toEqual([]);
  });

  it('follows no playlist: nothing leaks, and no listed host is asked', () => {
    for (const o of outcomes.values()) expect(o.message).not.toMatch(/root:x?:0:0/);
    expect(requests.filter((url) => url.includes('never-fetched'))).toEqual([]);
    // The one playlist served over HTTP was read, so the server did see requests.
    expect(requests).toContain('/hls-passwd.m3u8');
  });

  it('leaves no ffmpeg running and no temporary files', async () => {
    expect(await ffmpegChildren()).toEqual([]);
    expect(await listDir(tmpDir)).toEqual([]);
  });
});

describe('the same corpus through pg-boss, to a standalone worker process', () => {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
  const options = {
    databaseUrl: inject('databaseUrl'),
    schema: 'pgboss_corpus',
    // One attempt each, so a retryable code shows once and the run stays short.
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 60,
    heartbeatSeconds: 10,
  };
  let sender: PgBoss;
  let child: ChildProcess;
  let log = '';

  beforeAll(async () => {
    sender = createBoss(options, 'corpus-sender');
    sender.on('error', () => {});
    await sender.start();
    await ensureQueues(sender, options);
    child = spawn(
      process.execPath,
      [cli, 'work', '--allow-file-sources', '--file-delivery-dir', workDir, '--concurrency', '4'],
      {
        env: {
          ...process.env,
          DATABASE_URL: options.databaseUrl,
          DYNAMIC_IMAGE_QUEUE_SCHEMA: options.schema,
          DYNAMIC_IMAGE_RETRY_LIMIT: '0',
          DYNAMIC_IMAGE_JOB_TIMEOUT_SECONDS: String(JOB_TIMEOUT_SECONDS),
          DYNAMIC_IMAGE_POLLING_INTERVAL_SECONDS: '0.5',
          // The entries served over HTTP come from this test's server, named with its port.
          DYNAMIC_IMAGE_ALLOWED_HOSTS: `127.0.0.1:${(server.address() as AddressInfo).port}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (d) => {
      log += d;
    });
    child.stderr?.on('data', (d) => {
      log += d;
    });
    await waitFor(
      () => log.includes('working on'),
      30_000,
      () => log,
    );
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await sender?.stop({ graceful: false });
  });

  it('settles every job with the right code, and the worker still takes a good job after', async () => {
    const outDir = await emptyDir('corpus-queue-out-');
    const started = performance.now();
    const sent = new Map<string, { entry: CorpusEntry; id: string; sentAt: number }>();
    for (const [index, entry] of corpus.entries()) {
      const job = jobFor(entry.source, { ...BASE_TEMPLATE, ...entry.template }, join(outDir, `${index}.gif`));
      sent.set(entry.name, { entry, id: (await sendJob(sender, job)) as string, sentAt: performance.now() });
    }
    const outcomes = new Map<string, Outcome>();
    await waitFor(
      async () => {
        for (const [name, { id, sentAt }] of sent) {
          if (outcomes.has(name)) continue;
          const job = await sender.getJobById(QUEUE_NAMES.jobs, id);
          if (job?.state !== 'completed' && job?.state !== 'failed') continue;
          const output = job.output as { status: string; error?: { code: Expected; message: string } };
          outcomes.set(name, {
            got: output.status === 'success' ? 'success' : (output.error?.code as Expected),
            message: output.error?.message ?? '',
            ms: performance.now() - sentAt,
            output: join(outDir, `${corpus.indexOf(sent.get(name)?.entry as CorpusEntry)}.gif`),
          });
        }
        return outcomes.size === sent.size;
      },
      120_000,
      () => `${outcomes.size}/${sent.size} settled; worker log:\n${log.slice(-3000)}`,
    );
    summary('pg-boss', outcomes, performance.now() - started);
    const wrong: string[] = [];
    for (const entry of corpus) {
      const o = outcomes.get(entry.name) as Outcome;
      // Queue time is not the job's time; only the code and the output are checked here.
      wrong.push(...(await problems(entry, { ...o, ms: 0 })));
    }
    expect(wrong).toEqual([]);

    // The process is alive and still works.
    expect(child.exitCode).toBeNull();
    const good = jobFor(samples.landscape, BASE_TEMPLATE, join(outDir, 'after.gif'));
    const id = (await sendJob(sender, good)) as string;
    await waitFor(
      async () => (await sender.getJobById(QUEUE_NAMES.jobs, id))?.state === 'completed',
      30_000,
      () => log.slice(-2000),
    );
    expect(inspectAnimation(await readFile(join(outDir, 'after.gif')))).toMatchObject({
      width: 160,
      loopCount: 0,
    });
    expect(child.exitCode).toBeNull();
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting; ${describe()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
