import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOverrides, TemplateValidationError, validateTemplate } from '@dynamic-image/core';
import { generateSample, resolveFfmpegBinaries, signedHeaders } from '@dynamic-image/worker';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../packages/worker/test/support/postgres.js';
import { launchBrowser, logIn, shoot, textLayouts } from '../support/browser.js';
import { bootstrapAccess, type RunningCms, startCms } from '../support/cms.js';
import { waitUntil } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhooks.js';

// One CMS (with its embedded worker) and one browser for the whole file: a Strapi start and an
// admin login are the slow parts, so the steps below share them and run in order.
let database: TestDatabase;
let cms: RunningCms;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let adminToken: string;
let apiToken: string;
let video: string;
let damaged: string;
let articleVideo: string;
let receiver: WebhookReceiver | undefined;
const consoleErrors: string[] = [];

type Json = Record<string, any>;
const BASE = '/admin/plugins/dynamic-image';
const CM = '/content-manager/collection-types/api::article.article';

async function api(method: string, path: string, body?: unknown, token = apiToken) {
  const response = await fetch(`${cms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as Json };
}

/** The plugin's side navigation, as opposed to Strapi's main menu. */
const subNav = (p: Page) => p.getByRole('navigation', { name: 'Dynamic images' });
/**
 * Pages render first and fetch their data after (permissions, settings, status): a read of the page is
 * polled until it holds, within this bound; vitest's own 1 s is shorter than an admin reload on 2 busy cores.
 */
const UI = { timeout: 15_000 };
/**
 * The Jobs table at the window's width (1440 px): every column header whole on one line, and no header or cell
 * out of the table's view (a table wider than its box scrolls, and its last columns are cut off).
 */
async function expectJobsTableFits(p: Page) {
  const headers = await textLayouts(p.locator('thead th'));
  expect(headers.map((h) => h.text)).toContain('Queued at');
  for (const h of headers) expect.soft(h, h.text).toMatchObject({ lines: 1, clipped: false });
  const cells = await textLayouts(p.locator('[data-testid="job-row"] td'));
  for (const cell of cells) expect.soft(cell.clipped, cell.text).toBe(false);
}
/** A settings section that loads its own data shows aria-busy until the data is on the page. */
const loaded = (p: Page, testId: string) =>
  p.locator(`[data-testid="${testId}"][aria-busy="false"]`).waitFor();

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-admin-'));
  video = await generateSample(resolveFfmpegBinaries(), 'landscape', dir, 4);
  // An MP4 by its first bytes (the upload takes it), its media cut off after the index: the job fails.
  damaged = await generateSample(resolveFfmpegBinaries(), 'truncated-faststart-mp4', dir, 2);
  // Other content than `video`: the plugin reuses what it has already made from the same video.
  articleVideo = await generateSample(resolveFfmpegBinaries(), 'portrait-rotated', dir, 3);
  database = await startTestDatabase();
  cms = await startCms(database.url);
  ({ adminToken, apiToken } = await bootstrapAccess(cms.url));
  browser = await launchBrowser();
  context = await browser.newContext({
    viewport: { width: 1440, height: 960 },
    locale: 'en-US',
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
});

afterEach((context) => {
  // The CMS's own account of what went wrong, next to the browser's.
  if (context.task.result?.state !== 'fail') return;
  const lines = (cms?.log() ?? '').split('\n').filter((l) => !/GET \/dynamic-image\//.test(l));
  console.error(`CMS log (admin polling left out):\n${lines.slice(-150).join('\n')}`);
});

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await cms?.stop();
  await database?.stop();
});

describe('the admin panel in Chromium, on a real Strapi with its embedded worker', () => {
  let templateId: string;
  let videoId: number;

  it('logs in and finds Dynamic images in the main menu', async () => {
    await logIn(page, cms.url, 'ada@example.com', 'Admin12345!');
    const menuLink = page.getByRole('link', { name: 'Dynamic images' });
    await expect.poll(() => menuLink.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await menuLink.first().click();
    await page.waitForURL(`**${BASE}/upload`);
    await expect.poll(() => subNav(page).getByRole('link').count(), UI).toBe(8);
    await page.getByText('Drop videos here').waitFor();
    await shoot(page, '01-upload-empty');
  });

  it('shows the core rules live in the template form, then creates a template', async () => {
    await subNav(page).getByRole('link', { name: 'Templates' }).click();
    // The CMS's example auto-thumbnail rule (apps/cms/config/plugins.ts) made its template at bootstrap.
    await page.getByText('article-thumbnail').waitFor();
    await shoot(page, '02-templates');
    await page.getByRole('button', { name: 'Create template' }).first().click();
    await page.waitForURL(`**${BASE}/templates/new`);

    // A rejected input: the message at the field is core's own, word for word.
    const name = page.locator('input[name="name"]');
    await name.fill('ab');
    const rejected = validateTemplate({
      name: 'ab',
      format: 'gif',
      fps: 10,
      captureMethod: 'byDuration',
      duration: 3,
    });
    expect(rejected.ok).toBe(false);
    const message = rejected.ok ? '' : (rejected.issues[0]?.message ?? '');
    expect(message).toContain('name');
    await page.getByText(message, { exact: true }).waitFor();
    // The message belongs to the name field: the input is described by it, and marked invalid.
    const described = (await name.getAttribute('aria-describedby'))?.split(' ') ?? [];
    const descriptions = await Promise.all(
      described.map((id) =>
        page
          .locator(`[id="${id}"]`)
          .textContent()
          .catch(() => null),
      ),
    );
    expect(descriptions).toContain(message);
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    await shoot(page, '03-template-rejected-name');

    // Above 50 fps a GIF cannot play as asked: said at the field, not refused.
    const fps = page.locator('input[name="fps"]');
    await fps.fill('55');
    await page.getByText('GIF plays at most 50 fps', { exact: false }).waitFor();
    await fps.fill('75');
    await page.getByText('fps must be an integer in (0, 60]; got 75').waitFor();
    await fps.fill('10');

    // The capture method switches the time field.
    await page.getByText('From the start time to a trim at the end').click();
    await page.locator('input[name="trimEnd"]').waitFor();
    expect(await page.locator('input[name="duration"]').count()).toBe(0);
    await page.getByText('A duration from the start time').click();
    await page.locator('input[name="duration"]').fill('2');

    // Width alone: the height follows the aspect ratio.
    await page.locator('input[name="width"]').fill('320');
    await page.getByText('Empty: the height follows the video’s aspect ratio.').waitFor();

    // A playback field: plays in all, by core's rule (0 plays forever).
    const plays = page.locator('input[name="loopCount"]');
    await plays.fill('-1');
    await page.getByText('loopCount must be an integer in [0, 65535]; got -1', { exact: true }).waitFor();
    await plays.fill('2');

    // An encoder control of the template's format (GIF), by core's rule; the WebP ones are not offered.
    await page.getByText('Advanced encoder settings').waitFor();
    expect(await page.locator('input[name="webpQuality"]').count()).toBe(0);
    const colors = page.locator('input[name="gifColors"]');
    await colors.fill('3');
    await page.getByText('gifColors must be an integer in [4, 256]; got 3', { exact: true }).waitFor();
    await colors.fill('16');

    // The size budget is typed in KB and checked as bytes by core's rule (1024 at least).
    const budget = page.locator('input[name="maxBytes"]');
    await budget.fill('0.5');
    await page
      .getByText('maxBytes must be an integer in [1024, 536870912]; got 512', { exact: true })
      .waitFor();
    await budget.fill('4096');

    await name.fill('hero_gif');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((u) => /\/templates\/[0-9a-f]{32}$/.test(u.pathname));
    templateId = page.url().split('/').pop() as string;
    const stored = await api('GET', `/api/dynamic-image/templates/${templateId}`);
    expect(stored.json.data).toMatchObject({
      name: 'hero_gif',
      format: 'gif',
      fps: 10,
      width: 320,
      duration: 2,
      loopCount: 2,
      gifColors: 16,
      maxBytes: 4096 * 1024,
    });
    // The playback fields left at their defaults are not saved: the template is as one without them.
    expect(stored.json.data).not.toHaveProperty('speed');
    expect(stored.json.data).not.toHaveProperty('boomerang');
    // Encoder controls left empty keep the profile's values and are not saved either.
    expect(stored.json.data).not.toHaveProperty('gifDither');
    await shoot(page, '04-template-saved');
  });

  it('chooses the start automatically with the toggle next to Start, by core’s rule', async () => {
    await subNav(page).getByRole('link', { name: 'Templates' }).click();
    await page.getByText('hero_gif').waitFor();
    await page.getByRole('button', { name: 'Create template' }).first().click();
    await page.waitForURL(`**${BASE}/templates/new`);
    await page.locator('input[name="name"]').fill('auto_gif');
    const start = page.locator('input[name="start"]');
    await page.getByText('Choose the start automatically').click();
    await expect.poll(() => start.isDisabled(), UI).toBe(true);
    // Trimming the end leaves no room for an automatic start: core's message, at Start.
    await page.getByText('From the start time to a trim at the end').click();
    await page.locator('input[name="trimEnd"]').fill('1');
    await page.getByRole('button', { name: 'Save' }).click();
    const refused = 'start "auto" needs captureMethod byDuration, not trimBeginEnd; got "auto"';
    await page.getByText(refused, { exact: true }).waitFor();
    await page.getByText('A duration from the start time').click();
    await page.locator('input[name="duration"]').fill('2');
    await expect.poll(() => page.getByText(refused, { exact: true }).count(), UI).toBe(0);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((u) => /\/templates\/[0-9a-f]{32}$/.test(u.pathname));
    const saved = page.url().split('/').pop() as string;
    const stored = await api('GET', `/api/dynamic-image/templates/${saved}`);
    expect(stored.json.data).toMatchObject({
      name: 'auto_gif',
      captureMethod: 'byDuration',
      start: 'auto',
      duration: 2,
    });
    // Read back into the form: the toggle on, the time field off.
    await page.reload();
    await expect.poll(() => page.locator('input[name="startAuto"]').isChecked(), UI).toBe(true);
    await expect.poll(() => start.isDisabled(), UI).toBe(true);
    await subNav(page).getByRole('link', { name: 'Templates' }).click();
    await page.getByText('2 s, the most active').waitFor();
    await shoot(page, '04b-template-auto-start');
  });

  it('creates a workflow from that template', async () => {
    await subNav(page).getByRole('link', { name: 'Workflows' }).click();
    await page.getByText('No workflow yet').waitFor();
    await page.getByRole('button', { name: 'Create workflow' }).first().click();
    await page.locator('input[name="name"]').fill('hero');
    await page.getByRole('combobox', { name: 'Add a template' }).click();
    await page.getByRole('option', { name: /hero_gif/ }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect.poll(() => page.getByTestId('workflow-node').count(), UI).toBe(1);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((u) => /\/workflows\/[0-9a-f]{32}$/.test(u.pathname));
    await shoot(page, '05-workflow-saved');
    await subNav(page).getByRole('link', { name: 'Workflows' }).click();
    await page.getByText('hero_gif').waitFor();
    await shoot(page, '06-workflows');
  });

  it('refuses to delete a template a workflow uses, naming the workflow, not its id', async () => {
    await subNav(page).getByRole('link', { name: 'Templates' }).click();
    await page
      .getByRole('row', { name: /hero_gif/ })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Template hero_gif is used by workflow hero; remove it from there first').waitFor();
    const workflowId = (await api('GET', '/api/dynamic-image/workflows')).json.data[0].workflowId as string;
    const refused = await api('DELETE', `/api/dynamic-image/templates/${templateId}`);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({
      code: 'Forbidden.IllegalStatus',
      details: { workflows: [{ workflowId, name: 'hero' }] },
    });
    expect(refused.json.error.message).not.toContain(workflowId);
    expect(refused.json.error.message).not.toContain(templateId);
    expect((await api('GET', `/api/dynamic-image/templates/${templateId}`)).status).toBe(200);
  });

  it('uploads a video with the workflow and watches its job succeed, live', async () => {
    await subNav(page).getByRole('link', { name: 'Upload' }).click();
    await page.getByTestId('file-input').setInputFiles(video);
    await page.getByText('landscape').first().waitFor();
    await page.getByRole('combobox', { name: 'Workflow' }).click();
    await page.getByRole('option', { name: 'hero' }).click();
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText('1 job started').waitFor({ timeout: 60_000 });
    await shoot(page, '07-uploaded');

    await page.getByRole('link', { name: 'follow them in Jobs' }).click();
    await page.waitForURL(`**${BASE}/jobs`);
    // The page refreshes by itself: no reload here.
    await page.locator('[data-testid="job-row"][data-state="success"]').waitFor({ timeout: 90_000 });
    const jobs = await api('GET', '/api/dynamic-image/jobs');
    expect(jobs.json.data).toHaveLength(1);
    expect(jobs.json.data[0].state).toBe('success');
    videoId = jobs.json.data[0].videoId;
    await shoot(page, '08-jobs');
  });

  it('shows a failed job with its error code and message, and retries it', async () => {
    await subNav(page).getByRole('link', { name: 'Upload' }).click();
    await page.getByTestId('file-input').setInputFiles(damaged);
    await page.getByRole('combobox', { name: 'Workflow' }).click();
    await page.getByRole('option', { name: 'hero' }).click();
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText('1 job started').first().waitFor({ timeout: 60_000 });
    await subNav(page).getByRole('link', { name: 'Jobs' }).click();
    const failed = page.locator('[data-testid="job-row"][data-state="failed"]');
    await failed.first().waitFor({ timeout: 60_000 });
    await failed.first().getByText('DAMAGED_SOURCE').waitFor();
    await shoot(page, '08b-jobs-failed');
    await failed.first().getByRole('button', { name: 'Retry' }).click();
    // The retry is a new job for the same video and template; it fails the same way.
    await expect.poll(() => failed.count(), { timeout: 60_000 }).toBe(2);
    const jobs = (await api('GET', '/api/dynamic-image/jobs?state=failed')).json.data;
    expect(jobs.map((j: Json) => j.origin).sort()).toEqual(['retry', 'upload']);
    expect(jobs.every((j: Json) => j.errorCode === 'DAMAGED_SOURCE')).toBe(true);
  });

  it('shows failed jobs by their code, without a progress bar, in columns that fit 1440 px', async () => {
    const failed = page.locator('[data-testid="job-row"][data-state="failed"]');
    await expect.poll(() => failed.count(), UI).toBe(2);
    await expectJobsTableFits(page);
    // Jobs: a failed job has no progress to show; the success keeps its full bar.
    for (const row of await failed.all()) expect.soft(await row.getByRole('progressbar').count()).toBe(0);
    const success = page.locator('[data-testid="job-row"][data-state="success"]');
    expect(await success.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    await shoot(page, '08bb-jobs-failed-no-progress');

    // Videos: every card's buttons keep their labels whole (no "Process with workflo / w").
    await subNav(page).getByRole('link', { name: 'Videos' }).click();
    const card = page.getByTestId('video-card').filter({ hasText: 'truncated' });
    await card.waitFor();
    const buttons = await textLayouts(page.getByTestId('video-card').getByRole('button'));
    expect(buttons.map((b) => b.text)).toContain('Process with workflow');
    for (const b of buttons) expect.soft(b, b.text).toMatchObject({ lines: 1, clipped: false });
    // The damaged video's card tells what went wrong, by code, instead of "No dynamic image yet".
    await card.getByTestId('video-failures').getByText('DAMAGED_SOURCE').waitFor();
    expect(await card.getByText('No dynamic image yet').count()).toBe(0);
    const listed = await api('GET', '/dynamic-image/videos', undefined, adminToken);
    const damagedVideo = listed.json.data.videos.find((v: Json) => /truncated/.test(v.name));
    // The upload's job and its retry failed the same way: the video has one open failure (the latest).
    expect(damagedVideo.failedJobs).toEqual([
      expect.objectContaining({ templateId, errorCode: 'DAMAGED_SOURCE', origin: 'retry' }),
    ]);
    await shoot(page, '11a-videos-failed');
  });

  it('shows the month’s usage: the success counted by template and workflow, the failures not', async () => {
    await subNav(page).getByRole('link', { name: 'Usage' }).click();
    await page.waitForURL(`**${BASE}/usage`);
    const done = (await api('GET', '/api/dynamic-image/jobs?state=success')).json.data[0] as Json;
    const month = String(done.finishedAt).slice(0, 7);
    await page.getByLabel('From month').fill(month);
    await page.getByLabel('To month').fill(month);
    const row = page.getByTestId('usage-row');
    await expect.poll(() => row.count(), UI).toBe(1);
    // Month, template, workflow, outputs, encodes, seconds, the one class's seconds (320 px wide: LD), size.
    const seconds = (done.result.duration as number).toFixed(1);
    await expect
      .poll(() => row.locator('td').allTextContents(), UI)
      .toEqual([month, 'hero_gif', 'hero', '1', '1', seconds, seconds, expect.stringMatching(/ KB$| B$/)]);
    await expect.poll(() => page.locator('thead th').allTextContents(), UI).toContain('LD s');
    await shoot(page, '08c-usage');
  });

  it('plays the animated result in the gallery, sets it as the cover and deletes it', async () => {
    await subNav(page).getByRole('link', { name: 'Results' }).click();
    const image = page.getByTestId('result-image').first();
    await image.waitFor();
    await expect
      .poll(() => image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(320);
    // It plays: two captures of the same <img> some hundreds of ms apart differ.
    const first = await image.screenshot();
    let changed = false;
    for (let i = 0; i < 10 && !changed; i++) {
      await page.waitForTimeout(300);
      changed = !first.equals(await image.screenshot());
    }
    expect(changed, 'the GIF in the gallery did not change between captures').toBe(true);
    await page.getByText('GIF · 320 ×').waitFor();
    await shoot(page, '09-results');

    await page.getByRole('button', { name: 'Copy URL' }).click();
    // A string, evaluated in the page: the test's own types have no DOM.
    const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(copied).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/uploads\/.+\.gif$/);
    expect((await fetch(copied)).headers.get('content-type')).toBe('image/gif');

    await page.getByRole('button', { name: 'Set as cover' }).click();
    await page.getByTestId('cover-badge').waitFor();
    const info = await api('GET', `/api/dynamic-image/videos/${videoId}`);
    // Absolute, as the webhook's FileURL: a reader elsewhere can fetch it as given.
    expect(info.json.data.coverUrl).toBe(info.json.data.dynamicImages[0].url);
    await shoot(page, '10-results-cover');

    await subNav(page).getByRole('link', { name: 'Videos' }).click();
    await page.getByTestId('video-card').first().waitFor();
    await page.getByText('1 dynamic image').waitFor();
    await shoot(page, '11-videos');

    await subNav(page).getByRole('link', { name: 'Results' }).click();
    await page.getByTestId('result-card').first().getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No dynamic image yet').waitFor();
    const after = await api('GET', `/api/dynamic-image/videos/${videoId}/dynamic-images`);
    expect(after.json.data).toEqual([]);

    // Made again by hand from the Videos page.
    await subNav(page).getByRole('link', { name: 'Videos' }).click();
    await page
      .getByTestId('video-card')
      .filter({ hasText: 'landscape' })
      .getByRole('button', { name: 'Process with workflow' })
      .click();
    await page.getByRole('dialog').getByRole('combobox', { name: 'Workflow' }).click();
    await page.getByRole('option', { name: 'hero' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Run' }).click();
    await page.getByText('1 job started').first().waitFor();
    await page.getByText('1 dynamic image').waitFor({ timeout: 60_000 });
  });

  it('makes a one-off dynamic image from the Videos page: a template by name, overrides by core’s rules', async () => {
    const card = page.getByTestId('video-card').filter({ hasText: 'landscape' });
    await card.getByRole('button', { name: 'Make dynamic image' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'Template' }).click();
    await page.getByRole('option', { name: 'hero_gif' }).click();
    // An override core refuses: core's own message at the field, and nothing to run.
    const stored = (await api('GET', `/api/dynamic-image/templates/${templateId}`)).json.data as Json;
    const { templateId: _id, createdAt: _c, updatedAt: _u, ...template } = stored;
    let message = '';
    try {
      applyOverrides(template as never, { width: 100 });
    } catch (err) {
      if (err instanceof TemplateValidationError) message = err.issues[0]?.message ?? '';
    }
    expect(message).toContain('width');
    await dialog.locator('input[name="width"]').fill('100');
    await dialog.getByText(message, { exact: true }).waitFor();
    expect(await dialog.getByRole('button', { name: 'Make it' }).isDisabled()).toBe(true);
    await shoot(page, '11b-videos-one-off-refused');

    await dialog.locator('input[name="width"]').fill('160');
    await dialog.locator('input[name="fps"]').fill('5');
    await expect.poll(() => dialog.getByText(message, { exact: true }).count(), UI).toBe(0);
    // The encoder profile, as the template form offers it: the template's own until another is picked.
    const profile = dialog.getByRole('combobox', { name: 'Encoder profile' });
    expect(await profile.textContent()).toContain('As the template (Balanced)');
    await profile.click();
    await page.getByRole('option', { name: 'Small' }).click();
    await dialog.getByText('Fewest bytes that still look right').waitFor();
    // The template form's playback and encoder fields (the template plays twice, in 16 colours).
    await dialog.locator('input[name="loopCount"]').fill('3');
    await dialog.locator('input[name="gifColors"]').fill('32');
    await dialog.getByRole('button', { name: 'Make it' }).click();
    await page.getByText('Job started').first().waitFor();
    await card.getByText('2 dynamic images').waitFor({ timeout: 60_000 });
    // No workflow took part: one job of that template with those overrides, and its image has them; the
    // job says it was made in the admin, and the encoder report names the profile picked.
    const jobs = (await api('GET', `/api/dynamic-image/jobs?videoId=${videoId}`)).json.data as Json[];
    const job = jobs[0] as Json;
    expect(job).toMatchObject({
      templateId,
      workflowId: null,
      origin: 'admin',
      overrideParams: { width: 160, fps: 5, profile: 'small', loopCount: 3, gifColors: 32 },
      state: 'success',
      result: { width: 160, fps: 5, loop: 3, encoder: { profile: 'small', settings: { colors: 32 } } },
    });
    // The Jobs page tells where it came from.
    await subNav(page).getByRole('link', { name: 'Jobs' }).click();
    const row = page.locator(`[data-testid="job-row"][data-job-id="${job.jobId}"]`);
    await row.getByText('One-off made in the admin').waitFor(UI);
    await subNav(page).getByRole('link', { name: 'Videos' }).click();
    await card.waitFor();
  });

  it('previews the template on that video without adding to the Media Library', async () => {
    const filesBefore = (await api('GET', '/api/upload/files')).json.length;
    await page.goto(`${cms.url}${BASE}/templates/${templateId}`);
    await page.getByRole('combobox', { name: 'Video' }).click();
    await page.getByRole('option', { name: /landscape/ }).click();
    await page.getByRole('button', { name: 'Render preview' }).click();
    const preview = page.getByTestId('template-preview');
    await preview.waitFor({ timeout: 60_000 });
    expect(await preview.getAttribute('src')).toMatch(/^data:image\/gif;base64,/);
    await shoot(page, '12-template-preview');
    expect((await api('GET', '/api/upload/files')).json.length).toBe(filesBefore);

    // Workers send progress without waiting, so a report may land after the result: it must not turn
    // the finished preview back into a running one. (Concurrent with the result it once did, about one
    // run in three; the UPDATE now checks the state itself. This checks the late report in order.)
    const created = await api(
      'POST',
      '/dynamic-image/previews',
      {
        videoId,
        template: {
          name: 'late_progress',
          format: 'gif',
          fps: 5,
          width: 160,
          captureMethod: 'byDuration',
          duration: 1,
        },
      },
      adminToken,
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.data.previewId as string;
    const done = await waitUntil(`preview ${id} to end`, async () => {
      const data = (await api('GET', `/dynamic-image/previews/${id}`, undefined, adminToken)).json
        .data as Json;
      return data.state === 'success' || data.state === 'failed' ? data : undefined;
    });
    expect(done.state).toBe('success');
    const url = new URL(`${cms.url}/api/dynamic-image/worker/previews/${id}/progress`);
    const body = new TextEncoder().encode(
      JSON.stringify({ jobId: id, percent: 40, stage: 'encode', attempt: 1 }),
    );
    const late = await fetch(url, {
      method: 'POST',
      body,
      headers: {
        ...signedHeaders(cms.secret, 'POST', url, body),
        'content-type': 'application/octet-stream',
      },
    });
    // The preview has ended: the late report is refused, and changes nothing.
    expect(late.status).toBe(409);
    expect(((await late.json()) as Json).error.code).toBe('Conflict.JobState');
    const after = (await api('GET', `/dynamic-image/previews/${id}`, undefined, adminToken)).json.data;
    expect(after.state).toBe('success');
    expect(after.dataUrl).toMatch(/^data:image\/gif;base64,/);
  });

  it('shows settings: the default workflow, folder bindings and the connected worker', async () => {
    const folder = await api('POST', '/upload/folders', { name: 'Trailers', parent: null }, adminToken);
    expect(folder.status, JSON.stringify(folder.json)).toBe(201);
    await subNav(page).getByRole('link', { name: 'Settings' }).click();
    await expect.poll(() => page.getByTestId('status-workers').textContent(), { timeout: 20_000 }).toBe('1');
    // Every job has ended: nothing waits, runs or waits for a retry.
    for (const key of ['queued', 'active', 'deferred'])
      expect(await page.getByTestId(`status-${key}`).textContent()).toBe('0');
    await page.getByRole('combobox', { name: /Runs on every uploaded video/ }).click();
    await page.getByRole('option', { name: 'hero' }).click();
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.getByText('Saved here; it overrides config/plugins.ts').waitFor();
    const settings = await api('GET', '/dynamic-image/settings', undefined, adminToken);
    expect(settings.json.data).toMatchObject({ source: 'settings' });
    // Binding a folder here edits the workflow's folders.
    await page
      .getByRole('row', { name: /Trailers/ })
      .getByRole('combobox')
      .click();
    await page.getByRole('option', { name: 'hero' }).click();
    await page.getByText('Folder binding saved').waitFor();
    const workflows = await api('GET', '/api/dynamic-image/workflows');
    expect(workflows.json.data[0].folders).toEqual([folder.json.data.id]);
    // No webhook yet: the section says so and leads to Strapi's page that makes one.
    const hooks = page.getByTestId('webhooks');
    await hooks.getByTestId('webhooks-empty').waitFor();
    expect(await hooks.getByRole('link', { name: 'Create a webhook' }).getAttribute('href')).toBe(
      '/admin/settings/webhooks/create',
    );
  });

  it('edits the auto-thumbnail rules: the example rule, a refused change, a saved one', async () => {
    const section = page.getByTestId('auto-thumbnails');
    const rules = section.getByTestId('auto-thumbnail-rule');
    // The CMS's example rule (apps/cms/config/plugins.ts): article.video → article.thumbnail.
    await expect.poll(() => rules.count(), UI).toBe(1);
    const shown = (rule: ReturnType<typeof rules.nth>) =>
      rule.getByRole('combobox').evaluateAll((els) => els.map((e) => e.textContent?.trim()));
    expect(await shown(rules.first())).toEqual(['Article', 'video', 'thumbnail', 'article-thumbnail']);
    // Nothing to save until something changes.
    expect(await section.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);

    // A second rule on the same image field: refused with the server's code and message; nothing stored.
    await section.getByRole('button', { name: 'Add a rule' }).click();
    const added = rules.nth(1);
    const pick = async (rule: typeof added, label: string, option: string) => {
      await rule.getByRole('combobox', { name: label }).click();
      await page.getByRole('option', { name: option, exact: true }).click();
    };
    await pick(added, 'Content type', 'Article');
    await pick(added, 'Video field', 'video');
    await pick(added, 'Image field', 'thumbnail');
    await pick(added, 'Template', 'hero_gif');
    await section.getByRole('button', { name: 'Save' }).click();
    await section
      .getByText('InvalidParameter.TargetField: api::article.article.thumbnail is the target of another rule')
      .waitFor();
    await shoot(page, '13a-settings-auto-thumbnail-refused');
    const before = await api('GET', '/dynamic-image/auto-thumbnails', undefined, adminToken);
    expect(before.json.data).toHaveLength(1);
    const exampleTemplate = before.json.data[0].templateId;

    // Without it, the example rule now also sets the video's cover: saved and served. (Its template stays:
    // the default workflow runs hero_gif on every upload, and a publish reuses a job of the same template.)
    await added.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => rules.count(), UI).toBe(1);
    await rules.first().getByRole('checkbox').check();
    await section.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Auto-thumbnail rules saved').waitFor();
    expect(await section.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    const after = await api('GET', '/dynamic-image/auto-thumbnails', undefined, adminToken);
    expect(after.json.data).toEqual([
      {
        uid: 'api::article.article',
        videoField: 'video',
        targetField: 'thumbnail',
        templateId: exampleTemplate,
        setAsCover: true,
      },
    ]);
    // What the page shows after a reload is what was stored: read once the section has its data (before
    // that it holds no rule rows, which is not the same as no rules).
    await page.reload();
    await loaded(page, 'auto-thumbnails');
    expect(await rules.count()).toBe(1);
    await expect
      .poll(() => shown(rules.first()))
      .toEqual(['Article', 'video', 'thumbnail', 'article-thumbnail']);
    expect(await rules.first().getByRole('checkbox').isChecked()).toBe(true);
  });

  it('subscribes a webhook to DynamicImageComplete, made on Strapi’s webhooks API', async () => {
    const hooks = await startWebhookReceiver();
    receiver = hooks;
    const created = await api(
      'POST',
      '/admin/webhooks',
      { name: 'Thumbnails feed', url: hooks.url, headers: {}, events: ['entry.publish'] },
      adminToken,
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const webhookId = created.json.data.id;
    await page.reload();
    const row = page.getByTestId('webhook-row').filter({ hasText: 'Thumbnails feed' });
    await row.waitFor();
    await row.getByText(hooks.url).waitFor();
    const toggle = row.getByRole('checkbox', { name: 'Thumbnails feed receives DynamicImageComplete' });
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await page.getByTestId('webhooks').getByRole('button', { name: 'Save' }).click();
    await page.getByText('Webhook subscriptions saved').waitFor();
    const listed = await api('GET', '/dynamic-image/settings/webhooks', undefined, adminToken);
    expect(listed.json.meta).toEqual({
      event: 'dynamic-image.complete',
      signingSecret: expect.stringMatching(/^whsec_/),
    });
    expect(listed.json.data).toEqual([
      {
        id: webhookId,
        name: 'Thumbnails feed',
        url: hooks.url,
        isEnabled: true,
        events: ['entry.publish', 'dynamic-image.complete'],
        subscribed: true,
        shape: 'flat',
      },
    ]);
    // Strapi's own record of the webhook keeps its other events.
    const stored = await api('GET', `/admin/webhooks/${webhookId}`, undefined, adminToken);
    expect(stored.json.data.events).toEqual(['entry.publish', 'dynamic-image.complete']);
    // A webhook deleted on Strapi's page while this one shows it: the save is refused, naming it, and
    // nothing changes (every id is checked before any is written).
    const gone = await api(
      'POST',
      '/admin/webhooks',
      { name: 'Short-lived', url: `${hooks.url}/gone`, headers: {}, events: ['entry.create'] },
      adminToken,
    );
    expect(gone.status, JSON.stringify(gone.json)).toBe(201);
    await page.reload();
    await page.getByRole('checkbox', { name: 'Thumbnails feed receives DynamicImageComplete' }).uncheck();
    await page.getByRole('checkbox', { name: 'Short-lived receives DynamicImageComplete' }).check();
    expect((await api('DELETE', `/admin/webhooks/${gone.json.data.id}`, undefined, adminToken)).status).toBe(
      200,
    );
    await page.getByTestId('webhooks').getByRole('button', { name: 'Save' }).click();
    await page
      .getByTestId('webhooks')
      .getByText(`InvalidWebhook.NotFound: Webhook ${gone.json.data.id} does not exist`)
      .waitFor();
    const unchanged = await api('GET', '/dynamic-image/settings/webhooks', undefined, adminToken);
    expect(unchanged.json.data.map((w: Json) => [w.name, w.subscribed])).toEqual([['Thumbnails feed', true]]);

    // The whole page in one picture (the README's): the admin scrolls inside its layout, not the window.
    await page.setViewportSize({ width: 1440, height: 1480 });
    await page.reload();
    await page.getByTestId('webhook-row').waitFor();
    await page.getByTestId('auto-thumbnail-rule').waitFor();
    await expect.poll(() => page.getByTestId('status-workers').textContent(), UI).toBe('1');
    await shoot(page, '13-settings');
    await page.setViewportSize({ width: 1440, height: 960 });
  });

  it('publishes an article with a video: its job links to the entry, and the webhook hears it end', async () => {
    const form = new FormData();
    form.append('files', new Blob([await readFile(articleVideo)], { type: 'video/mp4' }), 'launch.mp4');
    const uploaded = await fetch(`${cms.url}/api/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}` },
      body: form,
    });
    expect(uploaded.status).toBe(201);
    const file = ((await uploaded.json()) as Json[])[0] as Json;
    // As the Content Manager does: a draft, then the publish action with the form.
    const draft = await api('POST', `${CM}?locale=en`, { title: 'Launch day', video: file.id }, adminToken);
    expect(draft.status, JSON.stringify(draft.json)).toBe(201);
    const documentId = draft.json.data.documentId as string;
    const published = await api(
      'POST',
      `${CM}/${documentId}/actions/publish?locale=en`,
      { title: 'Launch day', video: file.id },
      adminToken,
    );
    expect(published.status, JSON.stringify(published.json)).toBe(200);

    await subNav(page).getByRole('link', { name: 'Jobs' }).click();
    // The upload ran the default workflow too; the publish's job is the one with the entry.
    const row = page
      .locator('[data-testid="job-row"][data-state="success"]')
      .filter({ hasText: 'launch' })
      .filter({ has: page.getByRole('link', { name: 'Entry article' }) });
    await row.waitFor({ timeout: 90_000 });
    const jobs = (await api('GET', '/api/dynamic-image/jobs')).json.data as Json[];
    const job = jobs.find((j) => j.entry?.documentId === documentId) as Json;
    expect(job, JSON.stringify(jobs)).toMatchObject({
      origin: 'publish',
      state: 'success',
      entry: { uid: 'api::article.article', documentId, locale: 'en' },
    });
    const rule = (await api('GET', '/dynamic-image/auto-thumbnails', undefined, adminToken)).json.data[0];
    expect(job.templateId).toBe(rule.templateId);
    const link = row.getByRole('link', { name: 'Entry article' });
    expect(await link.getAttribute('href')).toBe(
      `/admin/content-manager/collection-types/api::article.article/${documentId}?plugins[i18n][locale]=en`,
    );
    // With a longer template name and an entry link, the table still fits.
    await expectJobsTableFits(page);
    await shoot(page, '08c-jobs-entry');

    // The subscribed webhook receives the job's end, naming the entry.
    if (!receiver) throw new Error('no webhook receiver: the subscription step did not run');
    const event = await receiver.waitFor((e) => e.JobId === job.jobId);
    expect(event).toMatchObject({
      EventType: 'DynamicImageComplete',
      Status: 'success',
      EntryUid: 'api::article.article',
      EntryDocumentId: documentId,
      EntryLocale: 'en',
      Format: 'webp',
      Width: 480,
    });

    // The link opens the entry in the Content Manager, its thumbnail filled by the job.
    await link.click();
    await page.waitForURL((u) => u.pathname.endsWith(`/api::article.article/${documentId}`));
    await expect.poll(() => page.locator('input[name="title"]').inputValue(), UI).toBe('Launch day');
    const entry = await api('GET', `${CM}/${documentId}?locale=en`, undefined, adminToken);
    const image = (
      await api('GET', `/api/dynamic-image/videos/${job.videoId}/dynamic-images`)
    ).json.data.find((i: Json) => i.jobId === job.jobId);
    expect(entry.json.data.thumbnail?.id).toBe(image.fileId);
    // The rule saved above also makes it the video's cover.
    const info = await api('GET', `/api/dynamic-image/videos/${job.videoId}`);
    expect(info.json.data.coverUrl).toBe(image.url);

    // Beside the form, the side panel shows the video's dynamic images playing, the cover marked; another
    // one is made the cover from there.
    const panel = page.getByTestId('dynamic-images-panel');
    const images = (await api('GET', `/api/dynamic-image/videos/${job.videoId}/dynamic-images`)).json
      .data as Json[];
    expect(images.length, 'the upload’s workflow and the publish’s rule each made one').toBeGreaterThan(1);
    await expect.poll(() => panel.getByTestId('panel-image').count(), UI).toBe(images.length);
    const card = (id: number) => panel.locator(`[data-testid="panel-image"][data-id="${id}"]`);
    await expect.poll(() => card(image.dynamicImageId).getByTestId('panel-cover-badge').count(), UI).toBe(1);
    // Decoded by the browser at its own size: the file itself, not a thumbnail of it.
    await expect
      .poll(
        () =>
          card(image.dynamicImageId)
            .locator('img')
            .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
        UI,
      )
      .toBe(image.width);
    await shoot(page, '08d-content-manager-panel');
    const other = images.find((i) => i.dynamicImageId !== image.dynamicImageId) as Json;
    await card(other.dynamicImageId).getByRole('button', { name: 'Set as cover' }).click();
    await expect
      .poll(async () => (await api('GET', `/api/dynamic-image/videos/${job.videoId}`)).json.data.coverUrl, UI)
      .toBe(other.url);
    await expect.poll(() => card(other.dynamicImageId).getByTestId('panel-cover-badge').count(), UI).toBe(1);

    // Settings' delivery log shows the event delivered on its first attempt; Resend sends it once more.
    await page.goto(`${cms.url}${BASE}/settings`);
    await loaded(page, 'event-deliveries');
    const delivery = page.getByTestId('delivery-row').filter({ hasText: job.jobId });
    await delivery.waitFor();
    expect(await delivery.getAttribute('data-state')).toBe('delivered');
    expect(await delivery.getByTestId('delivery-attempts').textContent()).toBe('1 (200)');
    await shoot(page, '13b-settings-deliveries');
    await delivery.getByRole('button', { name: 'Resend' }).click();
    await expect.poll(() => delivery.getByTestId('delivery-attempts').textContent(), UI).toBe('2 (200, 200)');
    expect(receiver.events.filter((e) => e.JobId === job.jobId)).toHaveLength(2);
  });

  it('speaks Simplified Chinese when the user picks it', async () => {
    await page.evaluate(() => localStorage.setItem('strapi-admin-language', 'zh-Hans'));
    await page.goto(`${cms.url}${BASE}/templates`);
    const nav = page.getByRole('navigation', { name: '动图' });
    await nav.getByRole('link', { name: '模板' }).waitFor();
    await page.getByRole('button', { name: '创建模板' }).waitFor();
    await page.getByText('hero_gif').waitFor();
    await shoot(page, '14-templates-zh-Hans');
    // Core's rules, in Chinese: the form formats each issue by its message id and params.
    await page.getByRole('button', { name: '创建模板' }).first().click();
    await page.waitForURL(`**${BASE}/templates/new`);
    await page.locator('input[name="name"]').fill('ab');
    await page.getByText('name 长度必须为 4 到 64 个字符；收到 "ab"', { exact: true }).waitFor();
    await page.locator('input[name="fps"]').fill('75');
    await page.getByText('fps 必须是 (0, 60] 范围内的整数；收到 75', { exact: true }).waitFor();
    expect(await page.getByText('name must be 4 to 64 characters', { exact: false }).count()).toBe(0);
    // The Videos page's actions and a failure's words, in Chinese too.
    await page.goto(`${cms.url}${BASE}/videos`);
    await page.getByRole('button', { name: '制作动图' }).first().waitFor();
    await page.getByTestId('video-failures').getByText('DAMAGED_SOURCE').first().waitFor();
    await shoot(page, '14b-videos-zh-Hans');
    await page.evaluate(() => localStorage.setItem('strapi-admin-language', 'en'));
    expect(consoleErrors.filter((e) => e.includes('dynamic-image'))).toEqual([]);
  });
});

describe('the admin panel for editors without the plugin’s permissions', () => {
  /** A user of that role, registered through the admin API, and signed in in a fresh browser context. */
  async function signedInAs(roleId: number, email: string): Promise<{ page: Page; token: string }> {
    const invited = await api(
      'POST',
      '/admin/users',
      { firstname: 'Eddie', lastname: 'Editor', email, roles: [roleId] },
      adminToken,
    );
    expect(invited.status, JSON.stringify(invited.json)).toBe(201);
    const registered = await api(
      'POST',
      '/admin/register',
      {
        registrationToken: invited.json.data.registrationToken,
        userInfo: { firstname: 'Eddie', lastname: 'Editor', password: 'Editor12345!' },
      },
      '',
    );
    expect(registered.status, JSON.stringify(registered.json)).toBe(200);
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 960 }, locale: 'en-US' });
    const p = await ctx.newPage();
    await logIn(p, cms.url, email, 'Editor12345!');
    await p.getByRole('link', { name: 'Content Manager' }).first().waitFor();
    return { page: p, token: registered.json.data.token };
  }

  it('hides the menu entry and refuses the pages and the API to the stock Editor role', async () => {
    const roles = await api('GET', '/admin/roles', undefined, adminToken);
    const editor = roles.json.data.find((r: Json) => r.code === 'strapi-editor');
    const { page: p, token } = await signedInAs(editor.id, 'eddie@example.com');
    expect(await p.getByRole('link', { name: 'Dynamic images' }).count()).toBe(0);
    for (const path of ['templates', 'jobs', 'settings']) {
      await p.goto(`${cms.url}${BASE}/${path}`);
      await p.getByText("You don't have the permissions to access that content").first().waitFor();
      expect(await p.getByText('Create template').count()).toBe(0);
    }
    await shoot(p, '20-editor-no-permission');
    expect((await api('GET', '/dynamic-image/templates', undefined, token)).status).toBe(403);
    await p.context().close();
  });

  it('shows only the parts a role holds: jobs.read alone gives the Jobs and Usage pages and nothing else', async () => {
    const role = await api(
      'POST',
      '/admin/roles',
      { name: 'Job watcher', description: 'Sees dynamic-image jobs only' },
      adminToken,
    );
    expect(role.status, JSON.stringify(role.json)).toBe(201);
    const set = await api(
      'PUT',
      `/admin/roles/${role.json.data.id}/permissions`,
      {
        permissions: [
          { action: 'plugin::dynamic-image.jobs.read', subject: null, properties: {}, conditions: [] },
        ],
      },
      adminToken,
    );
    expect(set.status, JSON.stringify(set.json)).toBe(200);
    const { page: p, token } = await signedInAs(role.json.data.id, 'jo@example.com');
    await p.getByRole('link', { name: 'Dynamic images' }).first().click();
    await p.waitForURL(`**${BASE}/jobs`);
    await expect.poll(() => subNav(p).getByRole('link').allTextContents(), UI).toEqual(['Jobs', 'Usage']);
    await p.locator('[data-testid="job-row"]').first().waitFor();
    await p.goto(`${cms.url}${BASE}/templates`);
    await p.getByText("You don't have the permissions to access that content").first().waitFor();
    expect((await api('GET', '/dynamic-image/jobs', undefined, token)).status).toBe(200);
    expect((await api('GET', '/dynamic-image/templates', undefined, token)).status).toBe(403);
    await p.context().close();
  });
  it('settings.read (and Strapi’s webhooks.read) shows Settings read-only; settings.update is needed to save', async () => {
    const role = await api(
      'POST',
      '/admin/roles',
      { name: 'Settings reader', description: 'Sees dynamic-image settings only' },
      adminToken,
    );
    expect(role.status, JSON.stringify(role.json)).toBe(201);
    const set = await api(
      'PUT',
      `/admin/roles/${role.json.data.id}/permissions`,
      {
        // The webhooks section also needs Strapi's own webhooks.read (their URLs carry receivers' tokens).
        permissions: [
          { action: 'plugin::dynamic-image.settings.read', subject: null, properties: {}, conditions: [] },
          { action: 'admin::webhooks.read', subject: null, properties: {}, conditions: [] },
        ],
      },
      adminToken,
    );
    expect(set.status, JSON.stringify(set.json)).toBe(200);
    const { page: p, token } = await signedInAs(role.json.data.id, 'sam@example.com');
    await p.getByRole('link', { name: 'Dynamic images' }).first().click();
    await p.waitForURL(`**${BASE}/settings`);
    await expect.poll(() => subNav(p).getByRole('link').allTextContents(), UI).toEqual(['Settings']);
    await p.getByTestId('auto-thumbnail-rule').waitFor();
    // Without templates.read the rule still names its template, by id; without workflows.read no folder bindings.
    const rule = (await api('GET', '/dynamic-image/auto-thumbnails', undefined, token)).json.data[0];
    await expect
      .poll(() =>
        p.getByTestId('auto-thumbnail-rule').getByRole('combobox', { name: 'Template' }).textContent(),
      )
      .toBe(rule.templateId);
    expect(await p.getByRole('heading', { name: 'Folder bindings' }).count()).toBe(0);
    const row = p.getByTestId('webhook-row').filter({ hasText: 'Thumbnails feed' });
    await row.waitFor();
    expect(await row.getByRole('checkbox').isChecked()).toBe(true);
    expect(await row.getByRole('checkbox').isDisabled()).toBe(true);
    expect(await p.getByRole('button', { name: 'Save' }).count()).toBe(0);
    expect(await p.getByRole('button', { name: 'Add a rule' }).count()).toBe(0);
    await shoot(p, '21-settings-read-only');
    for (const path of ['/dynamic-image/auto-thumbnails', '/dynamic-image/settings/webhooks']) {
      expect((await api('PUT', path, { data: [] }, token)).status).toBe(403);
    }
    expect((await api('PUT', '/dynamic-image/settings', { defaultWorkflow: null }, token)).status).toBe(403);
    await p.context().close();
  });
});
