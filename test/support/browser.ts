import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { repoRoot } from './cms.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotDir = join(repoRoot, 'test', 'test-output', 'screenshots');

/** Debian's Chromium driven by playwright-core; no browser is ever downloaded. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The admin tests need Chromium at ${CHROMIUM}: run "apt-get install -y chromium" (npm test does it when it can) or set CHROMIUM_PATH.`,
    );
  }
  await mkdir(screenshotDir, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A full-page capture for people to look at; passing toasts are left out. */
export async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({
    path: join(screenshotDir, `${name}.png`),
    fullPage: true,
    style: 'section[aria-label^="Notifications"] { visibility: hidden; }',
  });
}

/** Signs in through Strapi's login page, as a person would. */
export async function logIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/admin/auth/login`);
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Login' }).click();
  await page.waitForURL((u) => !u.pathname.includes('/auth/'), { timeout: 30_000 });
  await page.getByRole('link', { name: 'Home' }).first().waitFor();
  // Strapi's own release banner, closed the way a person would, when it shows.
  await page
    .getByRole('button', { name: 'Close the banner.' })
    .click({ timeout: 3000 })
    .catch(() => undefined);
}

/** How an element's text is laid out, measured in the page. */
export interface TextLayout {
  text: string;
  /** Line boxes its text takes: a label broken in two ("Process with workflo / w") takes 2. */
  lines: number;
  /** Its box reaches past its own width (an ellipsis) or past the visible part of a clipping or scrolling ancestor. */
  clipped: boolean;
}

/**
 * Measures each element `locator` matches. The callback runs in the page; the test's own types have no DOM, so
 * the element is untyped there.
 */
export async function textLayouts(locator: Locator): Promise<TextLayout[]> {
  return locator.evaluateAll((elements) =>
    elements.map((el) => {
      const doc = el.ownerDocument;
      const view = doc.defaultView;
      // One rect per line a text node takes; the line tops of all the element's text nodes, counted once.
      const tops = new Set<number>();
      const walker = doc.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent?.trim()) continue;
        const range = doc.createRange();
        range.selectNodeContents(node);
        for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
      }
      const box = el.getBoundingClientRect();
      let clipped = el.scrollWidth > el.clientWidth + 1;
      for (let up = el.parentElement; up && !clipped; up = up.parentElement) {
        const overflow = view.getComputedStyle(up).overflowX;
        if (overflow === 'visible') continue;
        const outer = up.getBoundingClientRect();
        const left = outer.left + up.clientLeft;
        clipped = box.left < left - 1 || box.right > left + up.clientWidth + 1;
      }
      return { text: (el.textContent ?? '').trim(), lines: tops.size, clipped };
    }),
  );
}
