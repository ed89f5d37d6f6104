// A test-only upload provider: Strapi's local provider (files in the app's public/uploads), whose every
// upload first asks a gate in the test process (upload-gate.ts) and waits for its answer. Holding that
// answer makes a provider as slow as the test wants (a slow S3), without a sleep. Strapi loads it by
// path, from the test's UPLOAD_PROVIDER (apps/cms/config/plugins.ts); nothing else ever does.
'use strict';

const { createRequire } = require('node:module');
const { join } = require('node:path');

/** Strapi's own local provider, resolved as @strapi/upload resolves it, from the app Strapi runs (its cwd). */
function localProvider() {
  const fromApp = createRequire(join(process.cwd(), 'package.json'));
  const fromStrapi = createRequire(fromApp.resolve('@strapi/strapi'));
  const fromUpload = createRequire(fromStrapi.resolve('@strapi/upload/strapi-server'));
  return fromUpload('@strapi/provider-upload-local');
}

module.exports = {
  init({ gateUrl, ...options }) {
    const local = localProvider().init(options);
    const ask = async (file) => {
      const res = await fetch(gateUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: file.name, hash: file.hash, ext: file.ext, mime: file.mime }),
      });
      if (!res.ok) throw new Error(`the upload gate answered ${res.status}`);
    };
    return {
      ...local,
      async uploadStream(file) {
        await ask(file);
        return local.uploadStream(file);
      },
      async upload(file) {
        await ask(file);
        return local.upload(file);
      },
    };
  },
};
