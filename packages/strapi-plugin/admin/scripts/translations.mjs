import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VALIDATION_MESSAGES } from '@dynamic-image/core';

// Every admin string goes through t(id, english): en.json is made from the code (--write), and
// each other locale must hold exactly en.json's keys. Run by the plugin's test script.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = [];
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    statSync(p).isDirectory() ? walk(p) : /\.tsx?$/.test(f) && files.push(p);
  }
};
walk(join(root, 'src'));
const out = {};
const re = /\bt\(\s*'([^']+)',\s*(?:'((?:[^'\\]|\\.)*)'|`([^`]*)`)/gs;
for (const f of files) {
  const src = readFileSync(f, 'utf8');
  for (const m of src.matchAll(re)) {
    const v = (m[2] ?? m[3]).replace(/\\'/g, "'");
    if (out[m[1]] && out[m[1]] !== v) {
      console.error(`${m[1]} has two English texts: ${out[m[1]]} | ${v}`);
      process.exitCode = 1;
    }
    out[m[1]] = v;
  }
}
Object.assign(out, {
  'plugin.name': 'Dynamic images',
  'nav.upload': 'Upload',
  'nav.videos': 'Videos',
  'nav.jobs': 'Jobs',
  'nav.results': 'Results',
  'nav.templates': 'Templates',
  'nav.workflows': 'Workflows',
  'nav.settings': 'Settings',
  'nav.usage': 'Usage',
  'jobs.origin.admin': 'One-off made in the admin',
  'jobs.origin.api': 'Submitted through the API',
  'jobs.origin.upload': 'On upload',
  'jobs.origin.workflow': 'Workflow run by hand',
  'jobs.origin.retry': 'Retry',
  'jobs.origin.publish': 'On publish',
  'settings.status.mode.embedded': 'Embedded worker',
  'settings.status.mode.standalone': 'Standalone workers',
  'settings.status.mode.off': 'Workers off',
  'deliveries.state.pending': 'Pending',
  'deliveries.state.retrying': 'Retrying',
  'deliveries.state.delivered': 'Delivered',
  'deliveries.state.failed': 'Failed',
  'deliveries.state.cancelled': 'Cancelled',
});
// Validation messages come from core, in core's English, keyed by core's message id (utils/issues.ts).
for (const [id, text] of Object.entries(VALIDATION_MESSAGES)) out[`validation.${id}`] = text;
const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
const enPath = join(root, 'src', 'translations', 'en.json');
const text = `${JSON.stringify(sorted, null, 2)}\n`;
let failed = false;
if (process.argv.includes('--write')) writeFileSync(enPath, text);
else if (readFileSync(enPath, 'utf8') !== text) {
  console.error(
    'admin/src/translations/en.json is out of date: run node admin/scripts/translations.mjs --write',
  );
  failed = true;
}
for (const locale of ['zh-Hans']) {
  const other = JSON.parse(readFileSync(join(root, 'src', 'translations', `${locale}.json`), 'utf8'));
  const missing = Object.keys(sorted).filter((k) => !(k in other));
  const extra = Object.keys(other).filter((k) => !(k in sorted));
  if (missing.length || extra.length) {
    console.error(
      `${locale}.json: missing ${missing.join(', ') || 'none'}; unused ${extra.join(', ') || 'none'}`,
    );
    failed = true;
  }
}
if (failed) process.exit(1);
console.log(`translations: ${Object.keys(sorted).length} strings in en and zh-Hans`);
