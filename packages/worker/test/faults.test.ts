// Failure paths of the worker's own modules that the end-to-end fault tests can't reach cheaply.
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FfmpegError, runFfmpeg } from '../src/ffmpeg.js';
import { httpDelivery } from '../src/http-delivery.js';
import { removeStaleJobDirs } from '../src/pipeline.js';
import { binaries } from './support/helpers.js';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-faults-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('runFfmpeg', () => {
  it('settles at its time limit even when ffmpeg hangs before the encode starts', async () => {
    const dir = await tempDir();
    const pids = join(dir, 'pids');
    const script = join(dir, 'ffmpeg');
    // Hangs on every call, as an ffmpeg stuck before its first output would.
    await writeFile(script, `#!/bin/sh\necho $$ >> "${pids}"\nexec sleep 30\n`);
    await chmod(script, 0o755);
    const started = Date.now();
    const error = await runFfmpeg(
      { ...binaries, ffmpeg: { ...binaries.ffmpeg, path: script } },
      {
        inputs: [{ source: join(dir, 'in.mp4'), options: [] }],
        outputOptions: ['-f', 'gif'],
        output: join(dir, 'out.gif'),
        timeoutMs: 1000,
      },
    ).catch((err) => err);
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5000);
    for (const pid of (await readFile(pids, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {}
    }
  });
});

describe('removeStaleJobDirs', () => {
  it('removes the job folders of dead processes of this host, and nothing else', async () => {
    const root = await tempDir();
    const host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
    // A pid that can't be alive: above the kernel's pid_max.
    const dead = `dynamic-image-job-${host}-99999999-abc`;
    const live = `dynamic-image-job-${host}-${process.pid}-abc`;
    const otherHost = 'dynamic-image-job-elsewhere-99999999-abc';
    const unrelated = 'dynamic-image-e2e-abc';
    for (const name of [dead, live, otherHost, unrelated]) {
      await mkdir(join(root, name));
      await writeFile(join(root, name, 'output.gif'), 'x');
    }
    expect(await removeStaleJobDirs(root)).toBe(1);
    expect((await readdir(root)).sort()).toEqual([live, otherHost, unrelated].sort());
  });
});

describe('httpDelivery', () => {
  const job = {
    version: 1,
    jobId: 'j1',
    source: { url: 'http://cms.test/v.mp4' },
    template: {},
    delivery: { kind: 'http', url: 'http://cms.test/api/dynamic-image/worker/jobs/j1' },
  } as never;

  it('sends a failure again while the CMS answers 503 or cannot be reached, then stops', async () => {
    const answers: Array<number | Error> = [new Error('ECONNREFUSED'), 503, 502, 200];
    const seen: string[] = [];
    const retries: number[] = [];
    const delivery = httpDelivery({
      secret: 'a-secret-of-sixteen-chars',
      retryForMs: 10_000,
      onRetry: (_err, wait) => retries.push(wait),
      fetch: (async (_url: URL, init: RequestInit) => {
        seen.push(String((init.headers as Record<string, string>)['x-dynamic-image-signature']));
        const next = answers.shift() as number | Error;
        if (next instanceof Error) throw next;
        return new Response('', { status: next });
      }) as typeof fetch,
    });
    await delivery.failure(job, { code: 'TIMEOUT', message: 'm', attempt: 1, final: true });
    expect(retries).toEqual([1000, 2000, 4000]);
    expect(seen).toHaveLength(4);
    // Each attempt is signed afresh: the CMS refuses a signature it has seen.
    expect(new Set(seen).size).toBe(4);
  });

  it('takes a 409 to a progress report (the job already ended) as settled, but not to a failure', async () => {
    const delivery = httpDelivery({
      secret: 'a-secret-of-sixteen-chars',
      fetch: (async () => new Response('', { status: 409 })) as unknown as typeof fetch,
    });
    await delivery.progress(job, { jobId: 'j1', stage: 'encode', percent: 50, attempt: 1 });
    const error = await delivery
      .failure(job, { code: 'TIMEOUT', message: 'm', attempt: 1, final: true })
      .catch((err) => err);
    expect(error.code).toBe('DELIVERY_FAILED');
  });

  it('gives up at once on an answer that another try would not change (400, 401, 404)', async () => {
    let calls = 0;
    const delivery = httpDelivery({
      secret: 'a-secret-of-sixteen-chars',
      fetch: (async () => {
        calls++;
        return new Response('bad signature', { status: 401 });
      }) as unknown as typeof fetch,
    });
    const error = await delivery
      .failure(job, { code: 'TIMEOUT', message: 'm', attempt: 1, final: true })
      .catch((err) => err);
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(calls).toBe(1);
  });

  it('gives up once its time is spent', async () => {
    let calls = 0;
    const delivery = httpDelivery({
      secret: 'a-secret-of-sixteen-chars',
      retryForMs: 2500,
      fetch: (async () => {
        calls++;
        return new Response('', { status: 503 });
      }) as unknown as typeof fetch,
    });
    const error = await delivery
      .failure(job, { code: 'TIMEOUT', message: 'm', attempt: 1, final: true })
      .catch((err) => err);
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(calls).toBe(2); // at 0 and 1000 ms; the next would be past 2500
  });
});
