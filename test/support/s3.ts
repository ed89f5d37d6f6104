// A real S3-compatible object store for the e2e tests: s3rver (S3's REST API over HTTP, objects on disk),
// with a bucket made through the S3 API and every request it answers recorded, so a test can tell who read what.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { freePort } from './cms.js';

/** s3rver's fixed key pair: it checks signatures against it. */
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Request {
  method: string;
  /** The path, bucket first (path-style), without the query. */
  path: string;
  userAgent: string;
}

export interface S3Store {
  /** `http://127.0.0.1:<port>`: the endpoint a client and @strapi/provider-upload-aws-s3 are given. */
  endpoint: string;
  bucket: string;
  /** The options of @strapi/provider-upload-aws-s3 for this bucket (UPLOAD_PROVIDER_OPTIONS). */
  providerOptions: Record<string, unknown>;
  /** The bucket's keys and sizes, listed through the S3 API. */
  objects(): Promise<Map<string, number>>;
  requests: S3Request[];
  stop(): Promise<void>;
}

export async function startS3(bucket: string): Promise<S3Store> {
  const directory = await mkdtemp(join(tmpdir(), 'dynamic-image-s3-'));
  const port = await freePort();
  const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true });
  await server.run();
  const requests: S3Request[] = [];
  (server.httpServer as Server).on('request', (req) => {
    requests.push({
      method: req.method ?? '',
      path: decodeURIComponent(new URL(req.url ?? '/', 'http://s3').pathname),
      userAgent: String(req.headers['user-agent'] ?? ''),
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const s3Options = { credentials, region: 'us-east-1', endpoint, forcePathStyle: true };
  const client = new S3Client(s3Options);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    // `params` inside `s3Options`, as the provider's docs have it (at the top level it warns: deprecated).
    providerOptions: { s3Options: { ...s3Options, params: { Bucket: bucket } } },
    async objects() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return new Map((listed.Contents ?? []).map((o) => [o.Key as string, o.Size as number]));
    },
    requests,
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
