import { chromium } from 'playwright-core';
const url = 'http://127.0.0.1:1411';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless','--no-sandbox','--disable-gpu'] });
const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
const page = await context.newPage();
page.on('console', (m) => { if (m.type() === 'error') console.log('console', m.type(), m.text().slice(0, 500)); });
page.on('pageerror', (e) => console.log('pageerror', e.message));
await page.goto(`${url}/admin/auth/login`);
await page.locator('input[name=email]').fill('ada@example.com');
await page.locator('input[name=password]').fill('Admin12345!');
await page.getByRole('button', { name: 'Login' }).click();
await page.waitForURL((u) => !u.pathname.includes('/auth/'));
await page.waitForTimeout(2000);
await page.screenshot({ path: '/tmp/home.png' });
console.log('links', await page.getByRole('link').evaluateAll(ls => ls.map(l => [l.textContent, l.getAttribute('aria-label'), l.getAttribute('href')])));
const steps = process.argv.slice(2);
for (const p of steps) {
  await page.goto(`${url}/admin/plugins/dynamic-image/${p}`);
  await page.waitForTimeout(2500);
  await page.screenshot({ path: `/tmp/p-${p.replaceAll('/', '_')}.png`, fullPage: true });
  console.log(p, 'navs', await page.getByRole('navigation').evaluateAll(ls => ls.map(l => l.getAttribute('aria-label'))));
}
await browser.close();
