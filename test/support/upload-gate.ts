// The test's side of gated-upload-provider.cjs: every upload the CMS makes through that provider asks
// here first. Open (the default), the gate answers at once; held, it keeps each upload waiting until
// the test releases it, so the test can look at the CMS while an upload is in flight.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmsDir, repoRoot } from './cms.js';

/** What the provider stores, as it told the gate. */
export interface GatedUpload {
  name: string;
  hash: string;
  ext: string;
  mime: string;
}

export interface UploadGate {
  /** The CMS's environment that makes it upload through the gated provider. */
  env: Record<string, string>;
  /** Every upload that asked, in order. */
  uploads: GatedUpload[];
  /** Uploads waiting now. */
  held(): number;
  hold(): void;
  /** Lets every waiting upload go on, and opens the gate. */
  release(): void;
  /** Where the provider keeps an upload (Strapi's local provider: the app's public/uploads). */
  stored(upload: GatedUpload): string;
  close(): Promise<void>;
}

export async function startUploadGate(): Promise<UploadGate> {
  const uploads: GatedUpload[] = [];
  let waiting: ServerResponse[] = [];
  let holding = false;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      uploads.push(JSON.parse(body) as GatedUpload);
      if (holding) waiting.push(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const gateUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`;
  // Strapi lower-cases the provider's name before it requires it: a path of the test's own, in lower case.
  const dir = join(tmpdir(), `dynamic-image-provider-${randomBytes(6).toString('hex')}`);
  await mkdir(dir);
  const provider = join(dir, 'gated-upload-provider.cjs');
  await symlink(join(repoRoot, 'test', 'support', 'gated-upload-provider.cjs'), provider);
  const release = () => {
    holding = false;
    for (const res of waiting) res.writeHead(204).end();
    waiting = [];
  };
  return {
    env: { UPLOAD_PROVIDER: provider, UPLOAD_PROVIDER_OPTIONS: JSON.stringify({ gateUrl }) },
    uploads,
    held: () => waiting.length,
    hold: () => {
      holding = true;
    },
    release,
    stored: (upload) => join(cmsDir, 'public', 'uploads', `${upload.hash}${upload.ext}`),
    async close() {
      release();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
