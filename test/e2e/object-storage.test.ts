// The plugin on a real S3-compatible object store, set up as docs/uploads-and-results.md tells a user:
// @strapi/provider-upload-aws-s3 pointed at s3rver. Both ways a user runs the worker: embedded (what
// own-app.md installs; its allowed hosts come from the provider's options) and a standalone
// `dynamic-image work` process (told the bucket's host with DYNAMIC_IMAGE_ALLOWED_HOSTS).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { launchBrowser, logIn } from '../support/browser.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import {
  apiClient,
  type Call,
  type Json,
  removeWorkerDirs,
  startWorkerProcess,
  uploadClip,
  type WorkerProcess,
} from '../support/fleet.js';
import { type S3Store, startS3 } from '../support/s3.js';
import { waitUntil } from '../support/wait.js';

const databases: TestDatabase[] = [];
const cmses: RunningCms[] = [];
let s3: S3Store;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const served = async (url: string) => {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
};
/** The object key of a URL on the store (path-style: /<bucket>/<key>), or null for a URL elsewhere. */
const keyOf = (url: string) => {
  const prefix = `${s3.endpoint}/${s3.bucket}/`;
  return url.startsWith(prefix) ? decodeURIComponent(url.slice(prefix.length)) : null;
};
/** The worker's source gateway (its user agent) asked the store for this object. */
const workerRead = (key: string) =>
  s3.requests.some(
    (r) => r.method === 'GET' && r.path === `/${s3.bucket}/${key}` && r.userAgent === 'dynamic-image-worker',
  );

/** A CMS on its own database whose Media Library is the bucket, and a client for its content API. */
async function cmsOnS3(env: Record<string, string> = {}) {
  const database = await startTestDatabase();
  databases.push(database);
  const cms = await startCms(database.url, {
    UPLOAD_PROVIDER: 'aws-s3',
    UPLOAD_PROVIDER_OPTIONS: JSON.stringify(s3.providerOptions),
    ...env,
  });
  cmses.push(cms);
  const { apiToken } = await bootstrapAccess(cms.url);
  const call = apiClient(() => cms.url, apiToken);
  const upload = async () => {
    const videoId = await uploadClip(cms.url, apiToken, 3);
    const file = (await (
      await fetch(`${cms.url}/api/upload/files/${videoId}`, {
        headers: { authorization: `Bearer ${apiToken}` },
      })
    ).json()) as Json;
    return { videoId, key: keyOf(file.url), url: file.url as string };
  };
  return { database, cms, call, upload };
}

async function waitForJob(call: Call, jobId: string, log: () => string): Promise<Json> {
  return waitUntil(
    `job ${jobId} to end`,
    async () => {
      const job = (await call('GET', `/jobs/${jobId}`)).json.data;
      return ['success', 'failed'].includes(job?.state) ? job : undefined;
    },
    { timeout: 45_000, interval: 300, detail: () => log().slice(-3000) },
  );
}

/** Each result is an object in the bucket, served from its URL there with the worker's bytes. */
async function expectStoredByteForByte(images: Json[], results: Json[]) {
  const objects = await s3.objects();
  for (const job of results) {
    const image = images.find((i) => i.jobId === job.jobId) as Json;
    const key = keyOf(image.url);
    expect(key, image.url).toBeTruthy();
    expect(objects.get(key as string), key as string).toBe(job.result.bytes);
    const { bytes, type } = await served(image.url);
    expect(type, job.result.format).toBe(`image/${job.result.format}`);
    expect(bytes.length, job.result.format).toBe(job.result.bytes);
    expect(sha256(bytes), job.result.format).toBe(job.result.sha256);
  }
}

const clipTemplate = { fps: 8, width: 256, captureMethod: 'byDuration', start: 0, duration: 1.5 };

beforeAll(async () => {
  s3 = await startS3('media');
});

afterAll(async () => {
  for (const cms of cmses) await cms.stop();
  await removeWorkerDirs();
  await s3?.stop();
  for (const database of databases) await database.stop();
});

describe('an S3 Media Library with the embedded worker (allowed hosts from the provider options)', () => {
  let site: Awaited<ReturnType<typeof cmsOnS3>>;
  let video: { videoId: number; key: string | null };
  let images: Json[];
  let results: Json[];

  beforeAll(async () => {
    site = await cmsOnS3();
  });

  it('stores the uploaded video in the bucket', async () => {
    video = await site.upload();
    expect(video.key).toBeTruthy();
    const objects = await s3.objects();
    expect(objects.get(video.key as string)).toBeGreaterThan(0);
    // The documented options are the provider's current form (root-level S3 options warn: deprecated).
    expect(site.cms.log()).not.toContain('passed at root level');
  });

  it('makes a GIF and a WebP from the video in the bucket, and stores them there byte for byte', async () => {
    const { call, cms } = site;
    const template = async (body: Json) => (await call('POST', '/templates', body)).json.data.templateId;
    const gif = await template({ name: 's3-gif', format: 'gif', ...clipTemplate });
    const webp = await template({ name: 's3-webp', format: 'webp', ...clipTemplate });
    const workflow = await call('POST', '/workflows', {
      name: 's3',
      nodes: [{ templateId: gif }, { templateId: webp }],
    });
    const run = await call('POST', `/workflows/${workflow.json.data.workflowId}/jobs`, {
      videoId: video.videoId,
    });
    expect(run.status, JSON.stringify(run.json)).toBe(201);
    results = await Promise.all(
      (run.json.data.jobs as Json[]).map((j) => waitForJob(call, j.jobId, cms.log)),
    );
    for (const job of results) expect(job, cms.log().slice(-3000)).toMatchObject({ state: 'success' });
    // The worker read the video from the store on 127.0.0.1, a loopback address it reads from only
    // because the default allowed hosts name the provider's endpoint (docs/configuration.md).
    expect(workerRead(video.key as string)).toBe(true);
    expect(cms.log()).not.toContain('names no base URL');
    images = (await call('GET', `/videos/${video.videoId}/dynamic-images`)).json.data as Json[];
    expect(images.map((i) => i.format).sort()).toEqual(['gif', 'webp']);
    await expectStoredByteForByte(images, results);
  });

  it("shows the results from the bucket in the plugin's admin pages", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
      });
      await logIn(page, site.cms.url, 'ada@example.com', 'Admin12345!');
      await page.goto(`${site.cms.url}/admin/plugins/dynamic-image/results`);
      const shown = page.getByTestId('result-image');
      await expect.poll(() => shown.count(), { timeout: 20_000 }).toBe(images.length);
      // Each <img> loaded from its URL in the bucket: the admin's CSP lets the store's origin in.
      await expect
        .poll(
          () =>
            shown.evaluateAll((all) =>
              all.map((img) => (img as unknown as { src: string; naturalWidth: number }).naturalWidth),
            ),
          { timeout: 10_000, message: refused.join('\n') },
        )
        .toEqual(images.map(() => 256));
      const sources = await shown.evaluateAll((all) =>
        all.map((img) => (img as unknown as { src: string }).src),
      );
      for (const src of sources) expect(keyOf(src), src).toBeTruthy();
    } finally {
      await browser.close();
    }
  });

  it('sets a dynamic image as the cover, on its URL in the bucket', async () => {
    const other = images.find((i) => !i.isCover) as Json;
    expect(other).toBeTruthy();
    expect((await site.call('POST', `/dynamic-images/${other.dynamicImageId}/cover`)).status).toBe(204);
    const info = (await site.call('GET', `/videos/${video.videoId}`)).json.data;
    expect(info.coverUrl).toBe(other.url);
    const job = results.find((j) => j.jobId === other.jobId) as Json;
    expect(sha256((await served(info.coverUrl)).bytes)).toBe(job.result.sha256);
  });

  it('deletes a dynamic image and its object in the bucket', async () => {
    const cover = (await site.call('GET', `/videos/${video.videoId}`)).json.data.coverUrl as string;
    const gone = images.find((i) => i.url === cover) as Json;
    const kept = images.find((i) => i.url !== cover) as Json;
    expect((await site.call('DELETE', `/dynamic-images/${gone.dynamicImageId}`)).status).toBe(204);
    const objects = await s3.objects();
    expect(objects.has(keyOf(gone.url) as string)).toBe(false);
    expect(objects.has(keyOf(kept.url) as string)).toBe(true);
    expect(objects.has(video.key as string)).toBe(true);
    expect((await served(gone.url)).status).toBe(404);
    // The cover passed to the other dynamic image.
    expect((await site.call('GET', `/videos/${video.videoId}`)).json.data.coverUrl).toBe(kept.url);
  });
});

describe('an S3 Media Library with a standalone worker process', () => {
  let site: Awaited<ReturnType<typeof cmsOnS3>>;
  let worker: WorkerProcess | undefined;
  let video: { videoId: number; key: string | null };
  let jobId: string;

  beforeAll(async () => {
    site = await cmsOnS3({ DYNAMIC_IMAGE_WORKER_MODE: 'standalone' });
  });

  afterAll(async () => {
    await worker?.kill();
  });

  const startWorker = (name: string, env: Record<string, string> = {}) =>
    startWorkerProcess({
      name,
      databaseUrl: site.database.url,
      secret: site.cms.secret,
      cmsUrl: site.cms.url,
      env,
    });

  it('refuses the bucket on loopback until its host is allowed: a failed job with a clear code', async () => {
    worker = await startWorker('cms-url-only');
    video = await site.upload();
    const template = await site.call('POST', '/templates', {
      name: 's3-webp',
      format: 'webp',
      ...clipTemplate,
    });
    jobId = (
      await site.call('POST', '/jobs', { videoId: video.videoId, templateId: template.json.data.templateId })
    ).json.data.jobId;
    const job = await waitForJob(site.call, jobId, () => (worker as WorkerProcess).log());
    const host = new URL(s3.endpoint).host;
    expect(job).toMatchObject({ state: 'failed', errorCode: 'UNSUPPORTED_SOURCE' });
    // The API says why without naming the address (public-error.ts); the worker's log names it.
    expect(job.errorMessage).toBe('Source host <address> is not in the allowed hosts');
    expect(worker.log()).toContain(`Source host ${host} is not in the allowed hosts`);
    // Refused before any request: nothing reached the store.
    expect(workerRead(video.key as string)).toBe(false);
    await worker.kill();
  });

  it('reads the video from the bucket with DYNAMIC_IMAGE_ALLOWED_HOSTS=<its host:port>', async () => {
    worker = await startWorker('bucket-allowed', { DYNAMIC_IMAGE_ALLOWED_HOSTS: new URL(s3.endpoint).host });
    const retry = await site.call('POST', `/jobs/${jobId}/retry`);
    expect(retry.status, JSON.stringify(retry.json)).toBe(201);
    const job = await waitForJob(site.call, retry.json.data.jobId, () => (worker as WorkerProcess).log());
    expect(job, worker.log().slice(-3000)).toMatchObject({ state: 'success' });
    expect(workerRead(video.key as string)).toBe(true);
    const images = (await site.call('GET', `/videos/${video.videoId}/dynamic-images`)).json.data as Json[];
    await expectStoredByteForByte(images, [job]);
  });
});
