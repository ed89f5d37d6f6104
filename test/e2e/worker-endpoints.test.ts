// The worker endpoints under abuse, through a real Strapi on a real Postgres (RELIABILITY.md, "Worker
// endpoints"): bodies nobody signed are refused before they are read, over-long bodies are cut off,
// signatures are single-use for their whole life, and a job that ended takes no more reports. A result
// goes to the upload provider before anything is recorded (the CMS uploads through a provider whose
// uploads wait at a gate the test holds: a slow S3), and what can't be recorded is removed from it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QUEUE_NAMES, RESULT_HEADER, SIGNATURE_HEADER } from '@dynamic-image/core';
import { createBoss, generateSample, resolveFfmpegBinaries } from '@dynamic-image/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { queryRows } from '../../packages/worker/test/support/sql.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import { nowSeconds, signature } from '../support/signature.js';
import { startUploadGate, type UploadGate } from '../support/upload-gate.js';
import { waitUntil } from '../support/wait.js';

type Json = Record<string, any>;

let database: TestDatabase;
let cms: RunningCms;
let gate: UploadGate;
let apiToken: string;
let adminToken: string;
let videoId: number;
let templateId: string;
const figures: Record<string, unknown> = {};

/** The plugin's content API (the admin API with `admin`: previews are made in the admin only). */
async function api(method: string, path: string, body?: unknown, admin = false) {
  const response = await fetch(`${cms.url}${admin ? '' : '/api'}/dynamic-image${path}`, {
    method,
    headers: {
      authorization: `Bearer ${admin ? adminToken : apiToken}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: (await response.json()) as Json };
}

/** A new queued job (worker mode is off, so it stays queued until the test decides). */
async function newJob(width: number): Promise<string> {
  const res = await api('POST', '/jobs', { videoId, templateId, overrideParams: { width } });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.data.jobId;
}

/** Strapi's own process: startCms's pid is the launcher (scripts/start.mjs) that spawns it. */
function strapiPid(launcher: number): number {
  const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/);
  const pid = children.map(Number).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('strapi'));
  if (!pid) throw new Error(`no Strapi process under ${launcher}`);
  return pid;
}
const rssBytes = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;

interface Streamed {
  status: number;
  code: string | undefined;
  ms: number;
  /** Bytes the client had written when the answer came. */
  sentBeforeAnswer: number;
}

/**
 * POSTs `total` bytes of zeros as they are produced (chunked unless a length is declared), and stops
 * writing as soon as the server answers: how much was sent by then shows whether it waited for the body.
 * With `holdAfter`, it writes that much and then waits for the answer (`waitMs` at most, then status 0).
 */
function streamPost(
  path: string,
  headers: Record<string, string | number>,
  total: number,
  holdAfter = total,
  waitMs = 5000,
) {
  return new Promise<Streamed>((resolve, reject) => {
    const started = performance.now();
    const chunk = Buffer.alloc(64 * 1024);
    let sent = 0;
    let answered = false;
    const req = request(`${cms.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', ...headers },
    });
    const gaveUp = setTimeout(() => {
      answered = true;
      req.destroy();
      resolve({ status: 0, code: undefined, ms: performance.now() - started, sentBeforeAnswer: sent });
    }, waitMs);
    req.on('response', (res) => {
      answered = true;
      clearTimeout(gaveUp);
      const ms = performance.now() - started;
      const sentBeforeAnswer = sent;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => {
        req.destroy();
        const code = text ? (JSON.parse(text) as Json).error?.code : undefined;
        resolve({ status: res.statusCode ?? 0, code, ms, sentBeforeAnswer });
      });
    });
    req.on('error', (err) => {
      if (answered) return;
      clearTimeout(gaveUp);
      reject(err);
    });
    const pump = () => {
      while (!answered && sent < Math.min(total, holdAfter)) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent, holdAfter - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      if (!answered && sent === total) req.end();
    };
    pump();
  });
}

/** A signed POST whose answer is read in full. */
async function signedPost(path: string, body: Uint8Array, header: string, resultHeader?: string) {
  const res = await fetch(`${cms.url}${path}`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/octet-stream',
      [SIGNATURE_HEADER]: header,
      ...(resultHeader ? { [RESULT_HEADER]: resultHeader } : {}),
    },
  });
  const text = await res.text();
  return {
    status: res.status,
    code: (text ? (JSON.parse(text) as Json) : {}).error?.code as string | undefined,
  };
}
let cmsTmpDir: string;
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const workerPath = (jobId: string, suffix = '') => `/api/dynamic-image/worker/jobs/${jobId}${suffix}`;

let gifBytes: Buffer | undefined;
/** A real GIF (made once) and its true metadata as `jobId`'s result, as a worker sends it. */
async function resultFor(jobId: string): Promise<{ bytes: Buffer; meta: string }> {
  if (!gifBytes) {
    const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-endpoints-'));
    const gif = join(dir, 'result.gif');
    await promisify(execFile)(resolveFfmpegBinaries().ffmpeg.path, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=230x130:rate=5',
      '-t',
      '1',
      gif,
    ]);
    gifBytes = await readFile(gif);
    await rm(dir, { recursive: true, force: true });
  }
  const result = {
    version: 1,
    jobId,
    format: 'gif',
    width: 230,
    height: 130,
    fps: 5,
    frameCount: 5,
    duration: 1,
    bytes: gifBytes.length,
    loop: 0,
    window: { start: 0, end: 1, duration: 1 },
    sha256: createHash('sha256').update(gifBytes).digest('hex'),
    timings: { fetchMs: 1, probeMs: 1, encodeMs: 1, verifyMs: 1, totalMs: 4 },
  };
  return { bytes: gifBytes, meta: Buffer.from(JSON.stringify(result)).toString('base64url') };
}

/**
 * Delivers `jobId`'s result as a worker does (a signature of its own each time), to `path` (a preview's
 * result endpoint, say); `resultOf` names the job the result header says it is for.
 */
async function deliver(
  jobId: string,
  path = workerPath(jobId),
  resultOf = jobId,
): Promise<{ status: number; code?: string; data?: Json }> {
  const { bytes, meta } = await resultFor(resultOf);
  const res = await fetch(`${cms.url}${path}`, {
    method: 'POST',
    body: bytes,
    headers: {
      'content-type': 'application/octet-stream',
      [SIGNATURE_HEADER]: signature(cms.secret, { path, body: bytes, resultHeader: meta }),
      [RESULT_HEADER]: meta,
    },
  });
  const text = await res.text();
  const answer = (text.startsWith('{') ? JSON.parse(text) : {}) as Json;
  return { status: res.status, code: answer.error?.code, data: answer.data ?? undefined };
}

/** Files in the Media Library made for `jobId` (a result's name ends with the job id's first 8 characters). */
const filesOfJob = async (jobId: string) =>
  queryRows<{ id: number; hash: string; ext: string }>(
    database.url,
    'select id, hash, ext from files where name like $1',
    [`%-${jobId.slice(0, 8)}.gif`],
  );

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-endpoints-'));
  const clip = await generateSample(resolveFfmpegBinaries(), 'landscape', dir, 2);
  database = await startTestDatabase();
  // A temporary folder of this CMS's own: what it leaves behind is told apart from other processes' files.
  cmsTmpDir = await mkdtemp(join(tmpdir(), 'dynamic-image-endpoints-cms-'));
  gate = await startUploadGate();
  cms = await startCms(database.url, { DYNAMIC_IMAGE_WORKER_MODE: 'off', TMPDIR: cmsTmpDir, ...gate.env });
  ({ apiToken, adminToken } = await bootstrapAccess(cms.url));
  const form = new FormData();
  form.append('files', new Blob([await readFile(clip)], { type: 'video/mp4' }), 'clip.mp4');
  const upload = await fetch(`${cms.url}/api/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}` },
    body: form,
  });
  expect(upload.status).toBe(201);
  videoId = ((await upload.json()) as Json[])[0]?.id;
  const template = await api('POST', '/templates', {
    name: 'endpoints-gif',
    format: 'gif',
    fps: 5,
    width: 160,
    captureMethod: 'byDuration',
    duration: 1,
  });
  templateId = template.json.data.templateId;
});

afterAll(async () => {
  if (process.env.FUZZ_REPORT) console.log(`worker-endpoints figures: ${JSON.stringify(figures)}`);
  await cms?.stop();
  await gate?.close();
  await database?.stop();
  if (cmsTmpDir) await rm(cmsTmpDir, { recursive: true, force: true });
});

describe('bodies are not read before they can be trusted', () => {
  it('refuses 4 parallel unsigned 200 MiB bodies before they are sent, without holding them', async () => {
    const jobId = await newJob(170);
    const pid = strapiPid(cms.pid);
    const before = rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(pid));
    }, 20);
    const size = 200 * 1024 * 1024;
    const answers = await Promise.all(
      [
        workerPath(jobId),
        workerPath(jobId, '/progress'),
        workerPath(jobId, '/failure'),
        workerPath(jobId),
      ].map((path) => streamPost(path, {}, size)),
    ).finally(() => clearInterval(sampler));
    peak = Math.max(peak, rssBytes(pid));
    figures.unsigned = { ms: answers.map((a) => Math.round(a.ms)), rssGrowthMiB: (peak - before) / 2 ** 20 };
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 401, code: 'Unauthorized.Signature' });
      // Answered while the body was still being sent: the refusal never waited for it (the time taken
      // is a figure, not a check: it depends on the machine's load).
      expect(answer.sentBeforeAnswer).toBeLessThan(size);
    }
    expect(peak - before).toBeLessThan(50 * 2 ** 20);
  });

  it('streams a result that passes the header checks to disk, not memory, and removes it', async () => {
    // Well formed, fresh, and wrong: only the HMAC over the whole body can tell, so it is read, to a
    // file. An unknown job gets the general bound (whether a job exists is not told before the HMAC).
    const path = workerPath('00000000-0000-4000-8000-000000000000');
    const header = signature('not-the-secret-at-all', { path, body: new Uint8Array() });
    const pid = strapiPid(cms.pid);
    const before = rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(pid));
    }, 20);
    const size = 250 * 1024 * 1024;
    // Written in full, to disk: more time than a refusal gets.
    const answer = await streamPost(path, { [SIGNATURE_HEADER]: header }, size, size, 60_000).finally(() =>
      clearInterval(sampler),
    );
    figures.forgedResult = { ms: Math.round(answer.ms), rssGrowthMiB: (peak - before) / 2 ** 20 };
    expect(answer).toMatchObject({ status: 401, code: 'Unauthorized.Signature', sentBeforeAnswer: size });
    // Read buffers waiting for the garbage collector: about 52 MiB for 100 MiB and for 250 MiB alike.
    // Held in memory (as before), 250 MiB would be 500 MiB with its copy.
    expect(peak - before).toBeLessThan(100 * 2 ** 20);
    expect((await readdir(cmsTmpDir)).filter((name) => name.startsWith('dynamic-image-delivery-'))).toEqual(
      [],
    );
  });

  it('answers 413 to a declared length over the cap before the body is sent', async () => {
    const jobId = await newJob(180);
    // Well formed and fresh, so only the length decides; the HMAC can't be checked before the body.
    const header = signature(cms.secret, { path: workerPath(jobId, '/progress'), body: new Uint8Array() });
    const report = await streamPost(
      workerPath(jobId, '/progress'),
      { [SIGNATURE_HEADER]: header, 'content-length': 1024 * 1024 },
      1024 * 1024,
      1024,
    );
    expect(report).toMatchObject({ status: 413, code: 'PayloadTooLarge.Body' });
    expect(report.sentBeforeAnswer).toBe(1024);
    // A result is bounded by its job's plan: 160 px wide, 5 fps for 1 s is nowhere near 64 MiB.
    const big = 64 * 1024 * 1024;
    const result = await streamPost(
      workerPath(jobId),
      {
        [SIGNATURE_HEADER]: signature(cms.secret, { path: workerPath(jobId), body: new Uint8Array() }),
        'content-length': big,
      },
      big,
      1024,
    );
    expect(result).toMatchObject({ status: 413, code: 'PayloadTooLarge.Body' });
    expect(result.sentBeforeAnswer).toBe(1024);
    figures.declaredTooLarge = { reportMs: Math.round(report.ms), resultMs: Math.round(result.ms) };
  });

  it('cuts off a chunked report that runs past 8 KiB', async () => {
    const jobId = await newJob(190);
    const header = signature(cms.secret, { path: workerPath(jobId, '/progress'), body: new Uint8Array() });
    const size = 16 * 1024 * 1024;
    // The client sends 1 MiB of its 16 and then holds: the 413 must come while the body is still arriving.
    // (Sending all of it would race: after refusing, the CMS reads and drops the rest for up to a second
    // so that the client can read the answer, and 16 MiB crosses loopback in less.)
    const holdAfter = 1024 * 1024;
    const answer = await streamPost(
      workerPath(jobId, '/progress'),
      { [SIGNATURE_HEADER]: header },
      size,
      holdAfter,
    );
    expect(answer).toMatchObject({ status: 413, code: 'PayloadTooLarge.Body' });
    expect(answer.sentBeforeAnswer).toBeLessThanOrEqual(holdAfter);
    expect((await api('GET', `/jobs/${jobId}`)).json.data).toMatchObject({ state: 'queued', progress: 0 });
  });
  it('a body Strapi parses itself (JSON) is refused, not waited for', async () => {
    const jobId = await newJob(195);
    const path = workerPath(jobId, '/progress');
    const body = json({ jobId, percent: 5, stage: 'encode', attempt: 1 });
    const res = await fetch(`${cms.url}${path}`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signature(cms.secret, { path, body }),
      },
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(401);
    expect((await api('GET', `/jobs/${jobId}`)).json.data).toMatchObject({ state: 'queued', progress: 0 });
  });
});

describe('signatures are single-use for as long as they could be accepted', () => {
  it('refuses a replay of a signature made 290 s ahead, after it has been used', async () => {
    const jobId = await newJob(200);
    const path = workerPath(jobId, '/progress');
    const body = json({ jobId, percent: 10, stage: 'encode', attempt: 1 });
    const ahead = signature(cms.secret, { path, body, timestamp: nowSeconds() + 290 });
    expect(await signedPost(path, body, ahead)).toEqual({ status: 204, code: undefined });
    // Remembered until t + 300 s, i.e. for up to ten minutes from now, not 300 s from receipt.
    const kept = await queryRows<{ seconds: number }>(
      database.url,
      'select extract(epoch from expires_at - now())::int as seconds from dynamic_image_used_signatures where hmac = $1',
      [ahead.split('v1=')[1]],
    );
    expect(kept[0]?.seconds).toBeGreaterThan(580);
    expect(await signedPost(path, body, ahead)).toEqual({
      status: 401,
      code: 'Unauthorized.SignatureReplayed',
    });
  });

  it('refuses a tampered header: nonce, timestamp, result header, extra fields', async () => {
    const jobId = await newJob(210);
    const path = workerPath(jobId, '/progress');
    const body = json({ jobId, percent: 20, stage: 'encode', attempt: 1 });
    const good = signature(cms.secret, { path, body });
    const flip = (hex: string) => hex.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const nonce = /n=([0-9a-f]+)/.exec(good)?.[1] as string;
    const cases: Array<[string, string, string]> = [
      ['another nonce', good.replace(`n=${nonce}`, `n=${flip(nonce)}`), 'Unauthorized.Signature'],
      ['no nonce', good.replace(`n=${nonce},`, ''), 'Unauthorized.Signature'],
      ['short nonce', good.replace(`n=${nonce}`, `n=${nonce.slice(2)}`), 'Unauthorized.Signature'],
      [
        'timestamp a second off',
        good.replace(/t=(\d+)/, (_m, t) => `t=${Number(t) - 1}`),
        'Unauthorized.Signature',
      ],
      ['an extra field', `${good},v0=${'a'.repeat(64)}`, 'Unauthorized.Signature'],
      ['fields reordered', good.split(',').reverse().join(','), 'Unauthorized.Signature'],
    ];
    for (const [name, header, code] of cases)
      expect({ name, ...(await signedPost(path, body, header)) }).toEqual({ name, status: 401, code });

    // The result metadata is signed with the file: the same file under other metadata is refused.
    const resultPath = workerPath(jobId);
    const file = new Uint8Array([1, 2, 3]);
    const meta = (width: number) => Buffer.from(JSON.stringify({ jobId, width })).toString('base64url');
    const signedFor160 = signature(cms.secret, { path: resultPath, body: file, resultHeader: meta(160) });
    expect(await signedPost(resultPath, file, signedFor160, meta(4096))).toEqual({
      status: 401,
      code: 'Unauthorized.Signature',
    });
    // The untampered request still passes (none of the above used it up).
    expect(await signedPost(path, body, good)).toEqual({ status: 204, code: undefined });
  });

  it('two requests with the same bytes in the same second are both accepted', async () => {
    const jobId = await newJob(220);
    const path = workerPath(jobId, '/progress');
    const body = json({ jobId, percent: 30, stage: 'encode', attempt: 1 });
    const t = nowSeconds();
    const answers = await Promise.all([
      signedPost(path, body, signature(cms.secret, { path, body, timestamp: t })),
      signedPost(path, body, signature(cms.secret, { path, body, timestamp: t })),
    ]);
    expect(answers).toEqual([
      { status: 204, code: undefined },
      { status: 204, code: undefined },
    ]);
  });
});

describe('a job that has ended takes no more reports', () => {
  it('answers 409 to a result, progress or failure for a failed job, which stays failed', async () => {
    const jobId = await newJob(230);
    const failurePath = workerPath(jobId, '/failure');
    const failure = json({ code: 'SOURCE_UNREACHABLE', message: 'gone', attempt: 1, final: true });
    expect(
      await signedPost(failurePath, failure, signature(cms.secret, { path: failurePath, body: failure })),
    ).toEqual({
      status: 204,
      code: undefined,
    });

    // A real GIF with its true metadata, as a late worker would send it: refused before it is uploaded.
    const uploadsBefore = gate.uploads.length;
    const late = await deliver(jobId);
    expect(late).toMatchObject({ status: 409, code: 'Conflict.JobState' });
    expect(gate.uploads.length).toBe(uploadsBefore);

    const progressPath = workerPath(jobId, '/progress');
    const progress = json({ jobId, percent: 50, stage: 'encode', attempt: 2 });
    expect(
      await signedPost(progressPath, progress, signature(cms.secret, { path: progressPath, body: progress })),
    ).toEqual({ status: 409, code: 'Conflict.JobState' });
    const again = json({ code: 'TIMEOUT', message: 'again', attempt: 2, final: true });
    expect(
      await signedPost(failurePath, again, signature(cms.secret, { path: failurePath, body: again })),
    ).toEqual({
      status: 409,
      code: 'Conflict.JobState',
    });

    const job = (await api('GET', `/jobs/${jobId}`)).json.data;
    expect(job).toMatchObject({ state: 'failed', errorCode: 'SOURCE_UNREACHABLE', dynamicImageId: null });
    const images = (await api('GET', `/videos/${videoId}/dynamic-images`)).json.data as Json[];
    expect(images.filter((i) => i.jobId === jobId)).toEqual([]);
  });
});

describe('a result is uploaded before it is recorded, and removed when it is not', () => {
  /** Advisory locks held on these jobs' results (data/locks.ts: `dynamic-image:job-result:<jobId>`). */
  const resultLocks = async (jobIds: string[]) =>
    Number(
      (
        await queryRows<{ n: string }>(
          database.url,
          `select count(*) as n from pg_locks where locktype = 'advisory'
             and ((classid::bigint << 32) | objid::bigint) in
               (select hashtextextended('dynamic-image:job-result:' || id, 0) from unnest($1::text[]) id)`,
          [jobIds],
        )
      )[0]?.n,
    );

  it('ten results held by a slow provider hold no lock and no connection: the API still answers', async () => {
    // As many as the CMS's pool has connections (apps/cms/config/database.ts): uploading inside the
    // result's transaction, they would hold every one of them until the provider answered.
    const jobIds: string[] = [];
    for (let i = 0; i < 10; i++) jobIds.push(await newJob(300 + 2 * i));
    const uploadsBefore = gate.uploads.length;
    gate.hold();
    const deliveries = jobIds.map((jobId) => deliver(jobId));
    try {
      await waitUntil('ten results at the provider', () => gate.held() === 10, { timeout: 30_000 });
      expect(await resultLocks(jobIds)).toBe(0);
      const answer = await fetch(`${cms.url}/api/dynamic-image/jobs/${jobIds[0]}`, {
        headers: { authorization: `Bearer ${apiToken}` },
        // A bound on a hang, not a measure: with the pool taken, it would wait 60 s for a connection.
        signal: AbortSignal.timeout(15_000),
      });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as Json).data).toMatchObject({ state: 'queued' });
      expect(gate.held()).toBe(10);
    } finally {
      gate.release();
    }
    const answers = await Promise.all(deliveries);
    for (const answer of answers) expect(answer).toMatchObject({ status: 200 });
    for (const jobId of jobIds) {
      expect((await api('GET', `/jobs/${jobId}`)).json.data).toMatchObject({ state: 'success' });
      expect(await filesOfJob(jobId)).toHaveLength(1);
    }
    for (const upload of gate.uploads.slice(uploadsBefore))
      expect(existsSync(gate.stored(upload))).toBe(true);
  });

  it('a result whose job ended while it uploaded is removed from the provider and answered 409', async () => {
    const jobId = await newJob(330);
    const uploadsBefore = gate.uploads.length;
    gate.hold();
    const delivery = deliver(jobId);
    try {
      await waitUntil('the result at the provider', () => gate.held() === 1, { timeout: 30_000 });
      // Meanwhile the job ends otherwise: another attempt's final failure, or the dead-letter queue.
      const failurePath = workerPath(jobId, '/failure');
      const failure = json({ code: 'TIMEOUT', message: 'ran out of time', attempt: 2, final: true });
      expect(
        await signedPost(failurePath, failure, signature(cms.secret, { path: failurePath, body: failure })),
      ).toEqual({ status: 204, code: undefined });
    } finally {
      gate.release();
    }
    expect(await delivery).toMatchObject({ status: 409, code: 'Conflict.JobState' });
    const [upload] = gate.uploads.slice(uploadsBefore);
    expect(upload?.mime).toBe('image/gif');
    expect(existsSync(gate.stored(upload as NonNullable<typeof upload>))).toBe(false);
    expect(await filesOfJob(jobId)).toEqual([]);
    expect((await api('GET', `/jobs/${jobId}`)).json.data).toMatchObject({
      state: 'failed',
      errorCode: 'TIMEOUT',
      dynamicImageId: null,
    });
  });

  it('a result the database refuses to record is removed from the provider; the job waits for another', async () => {
    const jobId = await newJob(340);
    const uploadsBefore = gate.uploads.length;
    // A real database error, at the last step of recording (the dynamic image's row).
    await queryRows(
      database.url,
      `create function refuse_test_result() returns trigger language plpgsql as $$
         begin raise exception 'refused by the test'; end $$`,
    );
    await queryRows(
      database.url,
      `create trigger refuse_test_result before insert on dynamic_images for each row
         when (new.job_id = '${jobId}') execute function refuse_test_result()`,
    );
    try {
      expect((await deliver(jobId)).status).toBe(500);
    } finally {
      await queryRows(database.url, 'drop trigger refuse_test_result on dynamic_images');
      await queryRows(database.url, 'drop function refuse_test_result()');
    }
    const [upload] = gate.uploads.slice(uploadsBefore);
    expect(upload?.mime).toBe('image/gif');
    expect(existsSync(gate.stored(upload as NonNullable<typeof upload>))).toBe(false);
    expect(await filesOfJob(jobId)).toEqual([]);
    // Nothing was recorded: the worker's next try (it re-sends on a 5xx) is taken.
    expect((await api('GET', `/jobs/${jobId}`)).json.data).toMatchObject({ state: 'queued' });
    expect(await deliver(jobId)).toMatchObject({ status: 200 });
    expect(await filesOfJob(jobId)).toHaveLength(1);
  });

  it('the same result delivered twice at once leaves one file, and both are answered with it', async () => {
    const jobId = await newJob(350);
    const uploadsBefore = gate.uploads.length;
    gate.hold();
    const both = [deliver(jobId), deliver(jobId)];
    try {
      await waitUntil('both deliveries at the provider', () => gate.held() === 2, { timeout: 30_000 });
    } finally {
      gate.release();
    }
    const answers = await Promise.all(both);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const dynamicImageId = answers[0]?.data?.dynamicImageId;
    expect(dynamicImageId).toBeTruthy();
    expect(answers[1]?.data?.dynamicImageId).toBe(dynamicImageId);
    const files = await filesOfJob(jobId);
    expect(files).toHaveLength(1);
    const uploads = gate.uploads.slice(uploadsBefore);
    expect(uploads).toHaveLength(2);
    expect(uploads.filter((u) => existsSync(gate.stored(u))).map((u) => u.hash)).toEqual([files[0]?.hash]);
    // Delivered again later: the same answer, and nothing more is uploaded.
    expect(await deliver(jobId)).toMatchObject({ status: 200, data: { dynamicImageId } });
    expect(gate.uploads.length).toBe(uploadsBefore + 2);
  });
});

// Jobs and previews are one job kind with two destinations (services/worker-reports): what is shown above
// for jobs holds for a preview, whose result goes into its row instead of the Media Library.
describe('a preview takes its reports as a job does', () => {
  const previewPath = (previewId: string, suffix = '') =>
    `/api/dynamic-image/worker/previews/${previewId}${suffix}`;
  const newPreview = async (): Promise<string> => {
    const template = { name: 'endpoints-preview', format: 'gif', fps: 5, width: 160 };
    const res = await api(
      'POST',
      '/previews',
      { videoId, template: { ...template, captureMethod: 'byDuration', duration: 1 } },
      true,
    );
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json.data.previewId;
  };
  const report = (path: string, value: unknown) => {
    const body = json(value);
    return signedPost(path, body, signature(cms.secret, { path, body }));
  };
  const previewOf = async (previewId: string) =>
    (await api('GET', `/previews/${previewId}`, undefined, true)).json.data as Json;

  it('answers 409 to a result, progress or failure for a failed preview, which stays failed', async () => {
    const previewId = await newPreview();
    const failure = { code: 'SOURCE_UNREACHABLE', message: 'gone', attempt: 1, final: true };
    expect(await report(previewPath(previewId, '/failure'), failure)).toEqual({
      status: 204,
      code: undefined,
    });
    expect(await deliver(previewId, previewPath(previewId))).toMatchObject({
      status: 409,
      code: 'Conflict.JobState',
    });
    const progress = { jobId: previewId, percent: 50, stage: 'encode', attempt: 2 };
    expect(await report(previewPath(previewId, '/progress'), progress)).toEqual({
      status: 409,
      code: 'Conflict.JobState',
    });
    const again = { code: 'TIMEOUT', message: 'again', attempt: 2, final: true };
    expect(await report(previewPath(previewId, '/failure'), again)).toEqual({
      status: 409,
      code: 'Conflict.JobState',
    });
    expect(await previewOf(previewId)).toMatchObject({
      state: 'failed',
      errorCode: 'SOURCE_UNREACHABLE',
      errorMessage: 'gone',
      dataUrl: null,
    });
  });

  it('keeps its result in its row, answers the same result again, and refuses a late progress report', async () => {
    const previewId = await newPreview();
    const progress = { jobId: previewId, percent: 40, stage: 'encode', attempt: 1 };
    expect(await report(previewPath(previewId, '/progress'), progress)).toEqual({
      status: 204,
      code: undefined,
    });
    expect(await previewOf(previewId)).toMatchObject({ state: 'processing', progress: 40 });
    const uploadsBefore = gate.uploads.length;
    for (let i = 0; i < 2; i++) {
      expect(await deliver(previewId, previewPath(previewId))).toMatchObject({
        status: 200,
        data: { previewId, state: 'success' },
      });
    }
    // Nothing went to the upload provider (the Media Library).
    expect(gate.uploads.length).toBe(uploadsBefore);
    expect(await report(previewPath(previewId, '/progress'), progress)).toEqual({
      status: 409,
      code: 'Conflict.JobState',
    });
    const preview = await previewOf(previewId);
    expect(preview).toMatchObject({ state: 'success', progress: 100, errorCode: null });
    expect(preview.dataUrl).toBe(`data:image/gif;base64,${(gifBytes as Buffer).toString('base64')}`);
  });

  it("refuses a result made for another job, at a job's endpoint and at a preview's alike", async () => {
    const [jobId, previewId] = [await newJob(360), await newPreview()];
    for (const [id, path] of [
      [jobId, workerPath(jobId)],
      [previewId, previewPath(previewId)],
    ] as const) {
      expect(await deliver(id, path, jobId === id ? previewId : jobId)).toMatchObject({
        status: 400,
        code: 'InvalidParameter.Result.JobId',
      });
    }
    expect((await api('GET', `/jobs/${jobId}`)).json.data).toMatchObject({ state: 'queued' });
    expect(await previewOf(previewId)).toMatchObject({ state: 'queued' });
  });

  it("a preview pg-boss gives up on ends failed, with the worker's code or pg-boss's reason", async () => {
    const [coded, lost] = [await newPreview(), await newPreview()];
    // Each preview's last attempt fails: as its worker reported it, and as pg-boss itself does when the
    // worker's heartbeat lapses. pg-boss then moves it to the dead-letter queue the CMS works.
    await queryRows(database.url, 'update pgboss.job set retry_count = retry_limit where id = any($1)', [
      [coded, lost],
    ]);
    const boss = createBoss({ databaseUrl: database.url, schema: 'pgboss' }, 'e2e-dead-preview');
    boss.on('error', () => {});
    await boss.start();
    try {
      await boss.fail(QUEUE_NAMES.jobs, coded, { error: { code: 'SOURCE_UNREACHABLE', message: 'gone' } });
      await boss.fail(QUEUE_NAMES.jobs, lost, { value: { message: 'job heartbeat timeout' } });
    } finally {
      await boss.stop({ graceful: false });
    }
    const failed = async (previewId: string) =>
      waitUntil(
        `preview ${previewId} to fail`,
        async () => {
          const preview = await previewOf(previewId);
          return preview.state === 'failed' ? preview : undefined;
        },
        { timeout: 30_000, interval: 300 },
      );
    expect(await failed(coded)).toMatchObject({ errorCode: 'SOURCE_UNREACHABLE', errorMessage: 'gone' });
    expect(await failed(lost)).toMatchObject({
      errorCode: 'INTERNAL',
      errorMessage:
        'The preview ran out of retries: its last worker stopped without a result (job heartbeat timeout)',
    });
  });
});
