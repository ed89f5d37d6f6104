import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  generateSample,
  inspectAnimation,
  resolveFfmpegBinaries,
  type SampleKind,
} from '@dynamic-image/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import { waitUntil } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

// Auto-thumbnail on publish, through a real Strapi with its embedded worker on Postgres. The CMS runs
// with the example rule of apps/cms/config/plugins.ts: article.video → article.thumbnail.

type Json = Record<string, any>;
const ARTICLE = 'api::article.article';
const CM = `/content-manager/collection-types/${ARTICLE}`;

let database: TestDatabase;
let cms: RunningCms;
let hooks: WebhookReceiver;
let adminToken: string;
let apiToken: string;
const files: Record<string, Json> = {};
const clips: Record<string, string> = {};

async function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; form?: FormData } = {},
) {
  const token = options.token === undefined ? apiToken : options.token;
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${cms.url}${path}`, {
    method,
    headers,
    body: options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as Json };
}

const admin = (method: string, path: string, body?: unknown) =>
  call(method, path, { token: adminToken, ...(body === undefined ? {} : { body }) });

async function upload(path: string, name: string, type: string): Promise<Json> {
  const form = new FormData();
  form.append('files', new Blob([await readFile(path)], { type }), name);
  const { status, json } = await call('POST', '/api/upload', { form });
  expect(status, JSON.stringify(json)).toBe(201);
  return (json as unknown as Json[])[0] as Json;
}

/** The draft and the published version of one locale of an article, media populated. */
async function versions(documentId: string, locale = 'en') {
  const get = async (status: string) => {
    const { status: code, json } = await call(
      'GET',
      `/api/articles/${documentId}?status=${status}&locale=${locale}&populate=*`,
    );
    return code === 200 ? (json.data as Json) : null;
  };
  return { draft: await get('draft'), published: await get('published') };
}

/** What the Content Manager shows for the entry: draft, published or modified. */
async function cmStatus(documentId: string, locale = 'en'): Promise<string> {
  const { json } = await admin('GET', `${CM}/${documentId}?locale=${locale}`);
  return json.data.status;
}

async function jobsOf(documentId: string, locale = 'en'): Promise<Json[]> {
  const { json } = await call('GET', '/api/dynamic-image/jobs?limit=100');
  return (json.data as Json[]).filter(
    (j) => j.entry?.documentId === documentId && j.entry?.locale === locale,
  );
}

const waitFor = <T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> =>
  waitUntil(what, probe, { detail: () => cms.log().slice(-3000) });

/** The n-th job made for the entry, once it has ended, and its DynamicImageComplete event. */
async function endedJob(documentId: string, n: number, locale = 'en') {
  const job = await waitFor(`job ${n} of ${documentId} (${locale})`, async () => {
    const jobs = (await jobsOf(documentId, locale)).reverse();
    const job = jobs[n - 1];
    return job && ['success', 'failed'].includes(job.state) ? job : undefined;
  });
  const event = await hooks.waitFor((e) => e.JobId === job.jobId);
  return { job, event };
}

const eventsOf = (documentId: string) => hooks.events.filter((e) => e.EntryDocumentId === documentId);

/** Publishing reacts after its transaction commits; give a reaction that should not happen time to show. */
const settle = () => new Promise((r) => setTimeout(r, 2500));

async function dynamicImageFile(job: Json): Promise<Json> {
  const { json } = await call('GET', `/api/dynamic-image/videos/${job.videoId}/dynamic-images`);
  const image = (json.data as Json[]).find((i) => i.jobId === job.jobId);
  expect(image, JSON.stringify(json)).toBeTruthy();
  return image as Json;
}

async function fileExists(fileId: number): Promise<boolean> {
  return (await call('GET', `/api/upload/files/${fileId}`)).status === 200;
}

beforeAll(async () => {
  const binaries = resolveFfmpegBinaries();
  const sample = async (kind: SampleKind, seconds: number) =>
    generateSample(binaries, kind, await mkdtemp(join(tmpdir(), 'dynamic-image-auto-')), seconds);
  // Distinct contents: the plugin rightly reuses the result of a video it has already done.
  Object.assign(clips, {
    a: await sample('landscape', 4),
    b: await sample('portrait-rotated', 4),
    c: await sample('landscape', 5),
    d: await sample('portrait-rotated', 5),
    e: await sample('anamorphic', 4),
    f: await sample('landscape', 6),
    g: await sample('anamorphic', 5),
  });
  clips.retry = await sample('portrait-rotated', 6);
  const audio = await sample('audio-only', 3);
  const picture = join(await mkdtemp(join(tmpdir(), 'dynamic-image-auto-')), 'chosen.png');
  await promisify(execFile)(binaries.ffmpeg.path, [
    '-y',
    '-f',
    'lavfi',
    '-i',
    'color=c=red:size=320x180',
    '-frames:v',
    '1',
    picture,
  ]);

  database = await startTestDatabase();
  cms = await startCms(database.url);
  ({ adminToken, apiToken } = await bootstrapAccess(cms.url));
  hooks = await startWebhookReceiver();
  const webhook = await admin('POST', '/admin/webhooks', {
    name: 'e2e',
    url: hooks.url,
    headers: {},
    events: ['dynamic-image.complete'],
  });
  expect(webhook.status, JSON.stringify(webhook.json)).toBe(201);
  const locale = await admin('POST', '/i18n/locales', { code: 'fr', name: 'French (fr)', isDefault: false });
  expect(locale.status, JSON.stringify(locale.json)).toBe(200);
  for (const key of 'abcdefg') files[key] = await upload(clips[key] as string, `${key}.mp4`, 'video/mp4');
  // An audio track in an .mp4: the Media Library takes it for a video; the worker finds no picture.
  files.audio = await upload(audio, 'voice-note.mp4', 'video/mp4');
  files.picture = await upload(picture, 'chosen.png', 'image/png');
});

afterAll(async () => {
  await cms?.stop();
  await hooks?.close();
  await database?.stop();
});

describe('auto-thumbnail rules', () => {
  it('serves the config file rule, its template made at start-up, and the content types that fit', async () => {
    const { status, json } = await admin('GET', '/dynamic-image/auto-thumbnails');
    expect(status, JSON.stringify(json)).toBe(200);
    const templates = (await call('GET', '/api/dynamic-image/templates')).json.data as Json[];
    const template = templates.find((t) => t.name === 'article-thumbnail') as Json;
    expect(template).toMatchObject({ format: 'webp', fps: 10, width: 480, duration: 3 });
    expect(json.data).toEqual([
      {
        uid: ARTICLE,
        videoField: 'video',
        targetField: 'thumbnail',
        templateId: template.templateId,
        setAsCover: false,
      },
    ]);
    expect(json.meta.candidates).toEqual([
      { uid: ARTICLE, displayName: 'Article', videoFields: ['video'], targetFields: ['thumbnail'] },
    ]);
  });

  it('refuses rules naming a missing field, a field of the wrong kind or a missing template, and keeps the old ones', async () => {
    const { json: before } = await admin('GET', '/dynamic-image/auto-thumbnails');
    const rule = before.data[0] as Json;
    const cases: Array<[Json, string, string]> = [
      [{ ...rule, videoField: 'clip' }, 'InvalidParameter.VideoField', 'has no field "clip"'],
      [
        { ...rule, videoField: 'thumbnail', targetField: 'video' },
        'InvalidParameter.VideoField',
        'must be a single media field allowing videos',
      ],
      [
        { ...rule, targetField: 'title' },
        'InvalidParameter.TargetField',
        'single media field allowing images',
      ],
      [{ ...rule, uid: 'api::nope.nope' }, 'InvalidParameter.Uid', 'does not exist'],
      [{ ...rule, uid: 'plugin::dynamic-image.job' }, 'InvalidParameter.Uid', 'has no draft & publish'],
      [{ ...rule, templateId: 'missing' }, 'InvalidParameter.TemplateId', 'template missing does not exist'],
      [{ ...rule, setAsCover: 'yes' }, 'InvalidParameter.SetAsCover', 'setAsCover'],
    ];
    for (const [bad, code, message] of cases) {
      const { status, json } = await admin('PUT', '/dynamic-image/auto-thumbnails', { data: [bad] });
      expect(status, JSON.stringify(json)).toBe(400);
      expect(json.error.code).toBe(code);
      expect(json.error.message).toContain(message);
    }
    const twice = await admin('PUT', '/dynamic-image/auto-thumbnails', { data: [rule, rule] });
    expect(twice.json.error).toMatchObject({ code: 'InvalidParameter.TargetField' });
    expect((await admin('GET', '/dynamic-image/auto-thumbnails')).json.data).toEqual(before.data);
    // Saved as given; the template in use can't be deleted from under the rule.
    const saved = await admin('PUT', '/dynamic-image/auto-thumbnails', { data: [rule] });
    expect(saved.status).toBe(200);
    expect(saved.json.data).toEqual([rule]);
    const del = await call('DELETE', `/api/dynamic-image/templates/${rule.templateId}`);
    expect(del.json.error).toMatchObject({ code: 'Forbidden.IllegalStatus' });
    // Settings are for admins with the settings permission: not on the content API, not anonymous.
    expect((await call('GET', '/api/dynamic-image/auto-thumbnails')).status).toBe(404);
    expect((await call('GET', '/dynamic-image/auto-thumbnails', { token: null })).status).toBe(401);
    // An editor (Strapi's Editor role) has no settings permission until a super admin grants it.
    const roles = (await admin('GET', '/admin/roles')).json.data as Json[];
    const editorRole = roles.find((r) => r.code === 'strapi-editor') as Json;
    const invited = await admin('POST', '/admin/users', {
      firstname: 'Eddie',
      lastname: 'Editor',
      email: 'eddie@example.com',
      roles: [editorRole.id],
    });
    expect(invited.status, JSON.stringify(invited.json)).toBe(201);
    const registered = await call('POST', '/admin/register', {
      token: null,
      body: {
        registrationToken: invited.json.data.registrationToken,
        userInfo: { firstname: 'Eddie', lastname: 'Editor', password: 'Editor12345!' },
      },
    });
    expect(registered.status, JSON.stringify(registered.json)).toBe(200);
    const editor = registered.json.data.token as string;
    expect((await call('GET', '/dynamic-image/auto-thumbnails', { token: editor })).status).toBe(403);
    expect(
      (await call('PUT', '/dynamic-image/auto-thumbnails', { token: editor, body: { data: [] } })).status,
    ).toBe(403);
    expect((await admin('GET', '/dynamic-image/auto-thumbnails')).json.data).toEqual([rule]);
  });
});

describe('publishing an article with a video', () => {
  let documentId: string;
  let first: Json;

  it('through REST: a job, the thumbnail on the published version and the draft, not "modified"', async () => {
    const created = await call('POST', '/api/articles?status=published', {
      body: { data: { title: 'Launch', video: files.a?.id } },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    documentId = created.json.data.documentId;
    const { job, event } = await endedJob(documentId, 1);
    first = job;
    expect(job).toMatchObject({
      state: 'success',
      origin: 'publish',
      videoId: files.a?.id,
      entry: { uid: ARTICLE, documentId, locale: 'en' },
    });
    const image = await dynamicImageFile(job);
    expect(event).toMatchObject({
      Status: 'success',
      JobId: job.jobId,
      VideoId: files.a?.id,
      Format: 'webp',
      Width: 480,
      EntryUid: ARTICLE,
      EntryDocumentId: documentId,
      EntryLocale: 'en',
    });
    const { draft, published } = await versions(documentId);
    expect(published?.thumbnail?.id).toBe(image.fileId);
    expect(draft?.thumbnail?.id).toBe(image.fileId);
    expect(published?.video?.id).toBe(files.a?.id);
    // The file in the field is the animation.
    const bytes = new Uint8Array(await (await fetch(`${cms.url}${published?.thumbnail.url}`)).arrayBuffer());
    expect(inspectAnimation(bytes)).toMatchObject({ format: 'webp', width: 480, height: 270 });
    expect(await cmStatus(documentId)).toBe('published');
  });

  it('republished with the same video: no new job, the thumbnail stays', async () => {
    const again = await call('PUT', `/api/articles/${documentId}?status=published`, {
      body: { data: { title: 'Launch, edited' } },
    });
    expect(again.status, JSON.stringify(again.json)).toBe(200);
    await settle();
    expect(await jobsOf(documentId)).toHaveLength(1);
    expect(eventsOf(documentId)).toHaveLength(1);
    const { draft, published } = await versions(documentId);
    expect(published?.title).toBe('Launch, edited');
    expect(published?.thumbnail?.id).toBe(draft?.thumbnail?.id);
    expect(published?.thumbnail?.id).toBe((await dynamicImageFile(first)).fileId);
    expect(await cmStatus(documentId)).toBe('published');
  });

  it('republished with a new video: a new job replaces the plugin’s thumbnail; the old file stays', async () => {
    const oldFile = (await dynamicImageFile(first)).fileId;
    const changed = await call('PUT', `/api/articles/${documentId}?status=published`, {
      body: { data: { video: files.b?.id } },
    });
    expect(changed.status, JSON.stringify(changed.json)).toBe(200);
    const { job, event } = await endedJob(documentId, 2);
    expect(job).toMatchObject({ state: 'success', videoId: files.b?.id });
    expect(event).toMatchObject({ Status: 'success', EntryDocumentId: documentId, Width: 480 });
    const image = await dynamicImageFile(job);
    const { draft, published } = await versions(documentId);
    expect(published?.thumbnail?.id).toBe(image.fileId);
    expect(draft?.thumbnail?.id).toBe(image.fileId);
    expect(await fileExists(oldFile)).toBe(true);
    expect(await cmStatus(documentId)).toBe('published');
    expect(await jobsOf(documentId)).toHaveLength(2);
  });

  it('a thumbnail the editor chose instead is never overwritten, even for a new video', async () => {
    const chosen = await call('PUT', `/api/articles/${documentId}?status=published`, {
      body: { data: { thumbnail: files.picture?.id } },
    });
    expect(chosen.status, JSON.stringify(chosen.json)).toBe(200);
    const newVideo = await call('PUT', `/api/articles/${documentId}?status=published`, {
      body: { data: { video: files.c?.id } },
    });
    expect(newVideo.status).toBe(200);
    await settle();
    expect(await jobsOf(documentId)).toHaveLength(2);
    expect(eventsOf(documentId)).toHaveLength(2);
    const { draft, published } = await versions(documentId);
    expect(published?.thumbnail?.id).toBe(files.picture?.id);
    expect(draft?.thumbnail?.id).toBe(files.picture?.id);
  });

  it('a new entry hand-set before its first publish keeps its thumbnail, and no job is made', async () => {
    const created = await call('POST', '/api/articles?status=published', {
      body: { data: { title: 'Chosen', video: files.d?.id, thumbnail: files.picture?.id } },
    });
    expect(created.status).toBe(201);
    await settle();
    const id = created.json.data.documentId;
    expect(await jobsOf(id)).toHaveLength(0);
    expect(eventsOf(id)).toHaveLength(0);
    const { draft, published } = await versions(id);
    expect(published?.thumbnail?.id).toBe(files.picture?.id);
    expect(draft?.thumbnail?.id).toBe(files.picture?.id);
  });

  it('a second article with an already-done video gets its image without a new job', async () => {
    const created = await call('POST', '/api/articles?status=published', {
      body: { data: { title: 'Same clip', video: files.a?.id } },
    });
    const id = created.json.data.documentId;
    const expected = (await dynamicImageFile(first)).fileId;
    const filled = await waitFor('the reused thumbnail', async () => {
      const v = await versions(id);
      return v.published?.thumbnail?.id && v.draft?.thumbnail?.id ? v : undefined;
    });
    expect(filled.published?.thumbnail?.id).toBe(expected);
    expect(filled.draft?.thumbnail?.id).toBe(expected);
    expect(await jobsOf(id)).toHaveLength(0);
    // No job ran for it, yet an event says its thumbnail is in place, naming the job that made the image.
    const event = await hooks.waitFor((e) => e.EntryDocumentId === id);
    expect(event).toMatchObject({
      EventType: 'DynamicImageComplete',
      Status: 'success',
      JobId: first.jobId,
      VideoId: files.a?.id,
      DynamicImageId: first.dynamicImageId,
      EntryUid: 'api::article.article',
      EntryDocumentId: id,
      Format: 'webp',
    });
    expect(String(event.FileURL)).toContain(String((await dynamicImageFile(first)).url));
    await settle();
    expect(eventsOf(id)).toHaveLength(1);
    expect(await cmStatus(id)).toBe('published');
  });

  it('an article whose video is another file of the same bytes gets its own job and event, on the same file', async () => {
    // Another Media Library file, another video: its job shares the first one's encode (no new work).
    const copy = await upload(clips.a as string, 'a-again.mp4', 'video/mp4');
    const created = await call('POST', '/api/articles?status=published', {
      body: { data: { title: 'Same bytes', video: copy.id } },
    });
    const id = created.json.data.documentId;
    const { job, event } = await endedJob(id, 1);
    expect(job).toMatchObject({ state: 'success', videoId: copy.id, encodeJobId: first.jobId });
    expect(job.jobId).not.toBe(first.jobId);
    const image = await dynamicImageFile(job);
    expect(image.fileId).toBe((await dynamicImageFile(first)).fileId);
    expect(event).toMatchObject({
      Status: 'success',
      JobId: job.jobId,
      VideoId: copy.id,
      DynamicImageId: image.dynamicImageId,
      EntryDocumentId: id,
    });
    const filled = await versions(id);
    expect(filled.published?.thumbnail?.id).toBe(image.fileId);
    expect(filled.draft?.thumbnail?.id).toBe(image.fileId);
    await settle();
    expect(eventsOf(id)).toHaveLength(1);
  });

  it('unpublishing or deleting the entry leaves the Media Library file alone', async () => {
    const { published } = await versions(documentId);
    const jobs = await jobsOf(documentId);
    const image = await dynamicImageFile(jobs[0] as Json);
    const unpublished = await admin('POST', `${CM}/${documentId}/actions/unpublish?locale=en`, {});
    expect(unpublished.status, JSON.stringify(unpublished.json)).toBe(200);
    expect((await versions(documentId)).published).toBeNull();
    expect(await fileExists(image.fileId)).toBe(true);
    const deleted = await admin('DELETE', `${CM}/${documentId}?locale=en`);
    expect(deleted.status, JSON.stringify(deleted.json)).toBe(200);
    expect((await versions(documentId)).draft).toBeNull();
    expect(await fileExists(image.fileId)).toBe(true);
    expect(await fileExists(published?.thumbnail?.id)).toBe(true);
  });
});

describe('publishing from the Content Manager, as the admin UI does', () => {
  it('fills the thumbnail on both versions and the entry does not show "modified"', async () => {
    const draft = await admin('POST', `${CM}?locale=en`, { title: 'From the admin', video: files.e?.id });
    expect(draft.status, JSON.stringify(draft.json)).toBe(201);
    const documentId = draft.json.data.documentId;
    expect(await cmStatus(documentId)).toBe('draft');
    await settle();
    expect(await jobsOf(documentId)).toHaveLength(0); // a draft makes no job
    // The admin UI sends the form with the publish action.
    const publish = await admin('POST', `${CM}/${documentId}/actions/publish?locale=en`, {
      title: 'From the admin',
      video: files.e?.id,
    });
    expect(publish.status, JSON.stringify(publish.json)).toBe(200);
    const { job, event } = await endedJob(documentId, 1);
    expect(job).toMatchObject({ state: 'success', entry: { uid: ARTICLE, documentId, locale: 'en' } });
    expect(event).toMatchObject({ EntryUid: ARTICLE, EntryDocumentId: documentId, EntryLocale: 'en' });
    const image = await dynamicImageFile(job);
    const cm = await admin('GET', `${CM}/${documentId}?locale=en`);
    expect(cm.json.data.status).toBe('published');
    expect(cm.json.data.thumbnail?.id).toBe(image.fileId);
    expect((await versions(documentId)).published?.thumbnail?.id).toBe(image.fileId);

    // Published again from the admin with nothing changed: no job, still published.
    await admin('POST', `${CM}/${documentId}/actions/publish?locale=en`, {
      title: 'From the admin',
      video: files.e?.id,
      thumbnail: image.fileId,
    });
    await settle();
    expect(await jobsOf(documentId)).toHaveLength(1);
    expect(eventsOf(documentId)).toHaveLength(1);
    expect(await cmStatus(documentId)).toBe('published');
  });

  it('bulk publishing from the list view makes a job for each entry', async () => {
    const ids: string[] = [];
    for (const [i, kind] of (['landscape', 'portrait-rotated'] as const).entries()) {
      const dir = await mkdtemp(join(tmpdir(), 'di-bulk-'));
      const clip = await generateSample(resolveFfmpegBinaries(), kind, dir, 8);
      const video = await upload(clip, `bulk-${i}.mp4`, 'video/mp4');
      const draft = await admin('POST', `${CM}?locale=en`, { title: `Bulk ${i}`, video: video.id });
      ids.push(draft.json.data.documentId);
    }
    const bulk = await admin('POST', `${CM}/actions/bulkPublish?locale=en`, { documentIds: ids });
    expect(bulk.status, JSON.stringify(bulk.json)).toBe(200);
    for (const id of ids) {
      const { job, event } = await endedJob(id, 1);
      expect(event).toMatchObject({ Status: 'success', EntryDocumentId: id });
      const image = await dynamicImageFile(job);
      const { draft, published } = await versions(id);
      expect(published?.thumbnail?.id).toBe(image.fileId);
      expect(draft?.thumbnail?.id).toBe(image.fileId);
      expect(await cmStatus(id)).toBe('published');
    }
  });

  it('an edit saved while the job runs still shows "modified" afterwards', async () => {
    const draft = await admin('POST', `${CM}?locale=en`, { title: 'Busy editor', video: files.g?.id });
    const documentId = draft.json.data.documentId;
    await admin('POST', `${CM}/${documentId}/actions/publish?locale=en`, {
      title: 'Busy editor',
      video: files.g?.id,
    });
    const saved = await admin('PUT', `${CM}/${documentId}?locale=en`, { title: 'Busy editor, again' });
    expect(saved.status, JSON.stringify(saved.json)).toBe(200);
    const { job } = await endedJob(documentId, 1);
    // The edit really came first: the plugin filled an entry that was already "modified".
    expect(Date.parse(job.finishedAt)).toBeGreaterThan(Date.parse(saved.json.data.updatedAt));
    const image = await dynamicImageFile(job);
    const { draft: d, published: p } = await versions(documentId);
    expect(d?.title).toBe('Busy editor, again');
    expect(p?.title).toBe('Busy editor');
    expect(d?.thumbnail?.id).toBe(image.fileId);
    expect(p?.thumbnail?.id).toBe(image.fileId);
    expect(await cmStatus(documentId)).toBe('modified');
  });
});

describe('localized articles', () => {
  it('each locale gets the thumbnail of its own video', async () => {
    const en = await call('POST', '/api/articles?status=published&locale=en', {
      body: { data: { title: 'Two languages', video: files.f?.id } },
    });
    expect(en.status, JSON.stringify(en.json)).toBe(201);
    const documentId = en.json.data.documentId;
    const fr = await call('PUT', `/api/articles/${documentId}?status=published&locale=fr`, {
      body: { data: { title: 'Deux langues', video: files.c?.id } },
    });
    expect(fr.status, JSON.stringify(fr.json)).toBe(200);
    const enJob = await endedJob(documentId, 1, 'en');
    const frJob = await endedJob(documentId, 1, 'fr');
    expect(enJob.job).toMatchObject({ state: 'success', videoId: files.f?.id, entry: { locale: 'en' } });
    expect(frJob.job).toMatchObject({ state: 'success', videoId: files.c?.id, entry: { locale: 'fr' } });
    expect(enJob.event).toMatchObject({ EntryDocumentId: documentId, EntryLocale: 'en' });
    expect(frJob.event).toMatchObject({ EntryDocumentId: documentId, EntryLocale: 'fr' });
    const enImage = await dynamicImageFile(enJob.job);
    const frImage = await dynamicImageFile(frJob.job);
    expect(enImage.fileId).not.toBe(frImage.fileId);
    for (const [locale, image] of [
      ['en', enImage],
      ['fr', frImage],
    ] as const) {
      const { draft, published } = await versions(documentId, locale);
      expect(published?.thumbnail?.id).toBe(image.fileId);
      expect(draft?.thumbnail?.id).toBe(image.fileId);
      expect(await cmStatus(documentId, locale)).toBe('published');
    }
  });
});

describe('a video that fails', () => {
  it('leaves the entry published without a thumbnail; the failure names the entry', async () => {
    const created = await call('POST', '/api/articles?status=published', {
      body: { data: { title: 'Voice note', video: files.audio?.id } },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const documentId = created.json.data.documentId;
    const { job, event } = await endedJob(documentId, 1);
    expect(job).toMatchObject({
      state: 'failed',
      errorCode: 'AUDIO_ONLY',
      entry: { uid: ARTICLE, documentId, locale: 'en' },
    });
    expect(event).toMatchObject({
      Status: 'fail',
      ErrorCode: 'AUDIO_ONLY',
      EntryUid: ARTICLE,
      EntryDocumentId: documentId,
      EntryLocale: 'en',
    });
    const { draft, published } = await versions(documentId);
    expect(published?.title).toBe('Voice note');
    expect(published?.thumbnail).toBeNull();
    expect(draft?.thumbnail).toBeNull();
    // Publishing again doesn't retry a video that failed.
    await call('PUT', `/api/articles/${documentId}?status=published`, { body: { data: { title: 'Voice' } } });
    await settle();
    expect(await jobsOf(documentId)).toHaveLength(1);
    expect(eventsOf(documentId)).toHaveLength(1);

    // The file is replaced by a real video in the Media Library and the job retried: the entry gets it.
    const form = new FormData();
    form.append(
      'files',
      new Blob([await readFile(clips.retry as string)], { type: 'video/mp4' }),
      'voice-note.mp4',
    );
    const replaced = await call('POST', `/api/upload?id=${files.audio?.id}`, { form });
    expect(replaced.status, JSON.stringify(replaced.json)).toBe(200);
    const retry = await call('POST', `/api/dynamic-image/jobs/${job.jobId}/retry`);
    expect(retry.status, JSON.stringify(retry.json)).toBe(201);
    expect(retry.json.data.entry).toEqual({ uid: ARTICLE, documentId, locale: 'en' });
    const { job: retried, event: retriedEvent } = await endedJob(documentId, 2);
    expect(retried).toMatchObject({ state: 'success', origin: 'retry', jobId: retry.json.data.jobId });
    expect(retriedEvent).toMatchObject({ Status: 'success', EntryDocumentId: documentId });
    const image = await dynamicImageFile(retried);
    const after = await versions(documentId);
    expect(after.published?.thumbnail?.id).toBe(image.fileId);
    expect(after.draft?.thumbnail?.id).toBe(image.fileId);
    expect(await cmStatus(documentId)).toBe('published');
  });
});

describe('a rule with setAsCover', () => {
  it('also makes the dynamic image the video’s cover', async () => {
    const { json: rules } = await admin('GET', '/dynamic-image/auto-thumbnails');
    const rule = rules.data[0] as Json;
    expect(
      (await admin('PUT', '/dynamic-image/auto-thumbnails', { data: [{ ...rule, setAsCover: true }] }))
        .status,
    ).toBe(200);
    try {
      const video = await upload(
        await generateSample(
          resolveFfmpegBinaries(),
          'anamorphic',
          await mkdtemp(join(tmpdir(), 'di-cover-')),
          6,
        ),
        'cover.mp4',
        'video/mp4',
      );
      const created = await call('POST', '/api/articles?status=published', {
        body: { data: { title: 'Cover', video: video.id } },
      });
      const documentId = created.json.data.documentId;
      const { job } = await endedJob(documentId, 1);
      const image = await dynamicImageFile(job);
      const info = (await call('GET', `/api/dynamic-image/videos/${video.id}`)).json.data;
      expect(info.coverUrl).toBe(image.url);
      expect((await versions(documentId)).published?.thumbnail?.id).toBe(image.fileId);
    } finally {
      await admin('PUT', '/dynamic-image/auto-thumbnails', { data: [rule] });
    }
  });
});

describe('publishing through GraphQL', () => {
  it('makes the job and fills the thumbnail like REST', async () => {
    const video = await upload(
      await generateSample(resolveFfmpegBinaries(), 'landscape', await mkdtemp(join(tmpdir(), 'di-gql-')), 7),
      'gql.mp4',
      'video/mp4',
    );
    const { status, json } = await call('POST', '/graphql', {
      body: {
        query: `mutation($data: ArticleInput!) { createArticle(data: $data, status: PUBLISHED) { documentId } }`,
        variables: { data: { title: 'GraphQL', video: video.id } },
      },
    });
    expect(status, JSON.stringify(json)).toBe(200);
    const documentId = json.data.createArticle.documentId;
    const { job } = await endedJob(documentId, 1);
    expect(job.state).toBe('success');
    const image = await dynamicImageFile(job);
    expect((await versions(documentId)).published?.thumbnail?.id).toBe(image.fileId);
    expect((await versions(documentId)).draft?.thumbnail?.id).toBe(image.fileId);
  });
});

describe('start-up configuration', () => {
  it('a rule naming a missing content type, a wrong field or a missing template stops start-up, naming the keys', async () => {
    const rules = [
      { uid: ARTICLE, videoField: 'title', targetField: 'thumbnail', template: 'no-such-template' },
      { uid: 'api::nope.nope', videoField: 'video', targetField: 'thumbnail', template: 'article-thumbnail' },
      { uid: 'plugin::dynamic-image.job', videoField: 'video', targetField: 'result', template: 'x' },
    ];
    const failure = await startCms(database.url, {
      DYNAMIC_IMAGE_WORKER_MODE: 'off',
      DYNAMIC_IMAGE_AUTO_THUMBNAIL: JSON.stringify(rules),
    }).then(
      async (other) => {
        await other.stop();
        return null;
      },
      (err: Error) => err,
    );
    expect(failure?.message).toContain('did not start');
    expect(failure?.message).toContain(
      'autoThumbnail.0.videoField: api::article.article.title must be a single media field allowing videos',
    );
    expect(failure?.message).toContain('autoThumbnail.0.template: no template has the templateId or name');
    expect(failure?.message).toContain('autoThumbnail.1.uid: content type api::nope.nope does not exist');
    expect(failure?.message).toContain(
      'autoThumbnail.2.uid: content type plugin::dynamic-image.job has no draft & publish',
    );
  });

  it('a template spec that breaks a template rule is refused by the config check', async () => {
    const rules = [
      {
        uid: ARTICLE,
        videoField: 'video',
        targetField: 'thumbnail',
        template: { name: 'bad', format: 'gif' },
      },
    ];
    const failure = await startCms(database.url, {
      DYNAMIC_IMAGE_WORKER_MODE: 'off',
      DYNAMIC_IMAGE_AUTO_THUMBNAIL: JSON.stringify(rules),
    }).then(
      async (other) => {
        await other.stop();
        return null;
      },
      (err: Error) => err,
    );
    expect(failure?.message).toContain('autoThumbnail.0.template.name');
    expect(failure?.message).toContain('autoThumbnail.0.template.fps');
  });
});

describe('a video replaced in the Media Library', () => {
  it('counts as a new video: republishing makes a new thumbnail of the new content', async () => {
    const binaries = resolveFfmpegBinaries();
    const original = await generateSample(
      binaries,
      'portrait-rotated',
      await mkdtemp(join(tmpdir(), 'di-replace-')),
      7,
    );
    // Content no other test uses: the same content would reuse its earlier thumbnail without a job.
    const replacement = await generateSample(
      binaries,
      'landscape',
      await mkdtemp(join(tmpdir(), 'di-replace-')),
      9,
    );
    const video = await upload(original, 'replaced.mp4', 'video/mp4');
    const created = await call('POST', '/api/articles?status=published', {
      body: { data: { title: 'Replaced', video: video.id } },
    });
    const id = created.json.data.documentId;
    const { job: before } = await endedJob(id, 1);
    expect(before).toMatchObject({ state: 'success', videoId: video.id });
    const portrait = await dynamicImageFile(before);
    expect(portrait.height).toBeGreaterThan(portrait.width);

    // Strapi keeps the file's id, url and hash when its bytes are replaced.
    const form = new FormData();
    form.append('files', new Blob([await readFile(replacement)], { type: 'video/mp4' }), 'replaced.mp4');
    const replaced = await call('POST', `/upload?id=${video.id}`, { token: adminToken, form });
    expect(replaced.status, JSON.stringify(replaced.json)).toBe(200);
    expect(replaced.json.hash).toBe(video.hash);

    await call('PUT', `/api/articles/${id}?status=published`, {
      body: { data: { title: 'Replaced, again' } },
    });
    const { job: after } = await endedJob(id, 2);
    expect(after).toMatchObject({ state: 'success', videoId: video.id });
    const landscape = await dynamicImageFile(after);
    expect(landscape.width).toBeGreaterThan(landscape.height);
    const { draft, published } = await versions(id);
    expect(published?.thumbnail?.id).toBe(landscape.fileId);
    expect(draft?.thumbnail?.id).toBe(landscape.fileId);
  });
});
