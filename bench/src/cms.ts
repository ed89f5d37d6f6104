// Method 7: our whole path through a real Strapi (the built CMS with its embedded worker):
// upload with a workflow → job → the file in the Media Library → the DynamicImageComplete webhook.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { bootstrapAccess, startCms } from '../../test/support/cms.ts';

const now = () => performance.timeOrigin + performance.now();
// biome-ignore lint/suspicious/noExplicitAny: JSON answers from the CMS, read field by field.
type Json = Record<string, any>;

export interface CmsRun {
  seconds: number;
  encodeMs: number;
  bytes: number;
  fileUrl: string;
  /** Where the time went, in ms: the upload request, waiting in the queue, the worker's probe and
   * verification, delivery back into Strapi (with its responsive formats), and the webhook. */
  parts: { uploadMs: number; queuedMs: number; probeVerifyMs: number; deliveryMs: number; webhookMs: number };
}

export interface CmsBench {
  run(source: string): Promise<CmsRun>;
  stop(): Promise<void>;
}

export async function startCmsBench(
  databaseUrl: string,
  window: { start: number; duration: number; fps: number; width: number },
): Promise<CmsBench> {
  // Webhook bodies with their arrival time.
  const arrivals: Array<{ body: Json; t: number }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      arrivals.push({ body: JSON.parse(body), t: now() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

  const cms = await startCms(databaseUrl);
  try {
    const { adminToken, apiToken } = await bootstrapAccess(cms.url);
    const call = async (method: string, path: string, body?: unknown, token = apiToken, form?: FormData) => {
      const response = await fetch(`${cms.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: form ?? (body ? JSON.stringify(body) : undefined),
      });
      const json = (await response.json().catch(() => null)) as Json;
      if (response.status >= 300)
        throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    await call(
      'POST',
      '/admin/webhooks',
      { name: 'bench', url: hookUrl, headers: {}, events: ['dynamic-image.complete'] },
      adminToken,
    );
    const template = await call('POST', '/api/dynamic-image/templates', {
      name: 'bench-gif',
      format: 'gif',
      fps: window.fps,
      width: window.width,
      captureMethod: 'byDuration',
      start: window.start,
      duration: window.duration,
    });
    const workflow = await call('POST', '/api/dynamic-image/workflows', {
      name: 'bench',
      nodes: [{ templateId: template.data.templateId }],
    });
    return {
      async run(source) {
        const form = new FormData();
        form.append('workflowId', workflow.data.workflowId);
        form.append('files', new Blob([await readFile(source)], { type: 'video/mp4' }), basename(source));
        const t0 = now();
        const upload = await call('POST', '/api/dynamic-image/upload', undefined, apiToken, form);
        const uploaded = now();
        const jobId = upload.data[0].jobs[0].jobId as string;
        const deadline = Date.now() + 300_000;
        let hook = arrivals.find((a) => a.body.JobId === jobId);
        while (!hook) {
          if (Date.now() > deadline) throw new Error(`no webhook for ${jobId}:\n${cms.log().slice(-3000)}`);
          await new Promise((r) => setTimeout(r, 5));
          hook = arrivals.find((a) => a.body.JobId === jobId);
        }
        if (hook.body.Status !== 'success') throw new Error(`CMS job failed: ${JSON.stringify(hook.body)}`);
        const job = await call('GET', `/api/dynamic-image/jobs/${jobId}`);
        // The Media Library serves the file the event names.
        const file = await fetch(hook.body.FileURL as string);
        if (file.status !== 200)
          throw new Error(`the Media Library file ${hook.body.FileURL} answered ${file.status}`);
        const bytes = (await file.arrayBuffer()).byteLength;
        const at = (field: string) => Date.parse(job.data[field] as string);
        const timings = job.data.result?.timings ?? {};
        return {
          parts: {
            uploadMs: uploaded - t0,
            queuedMs: at('startedAt') - at('queuedAt'),
            probeVerifyMs: (timings.totalMs ?? Number.NaN) - (timings.encodeMs ?? Number.NaN),
            deliveryMs: at('finishedAt') - at('startedAt') - (timings.totalMs ?? Number.NaN),
            webhookMs: hook.t - at('finishedAt'),
          },
          seconds: (hook.t - t0) / 1000,
          encodeMs: job.data.result?.timings?.encodeMs ?? Number.NaN,
          bytes,
          fileUrl: hook.body.FileURL as string,
        };
      },
      async stop() {
        await cms.stop();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  } catch (err) {
    await cms.stop();
    server.close();
    throw err;
  }
}
