import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from './wait.js';

export interface WebhookReceiver {
  url: string;
  events: Array<Record<string, unknown>>;
  waitFor(
    match: (event: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A loopback HTTP server that records every webhook body it receives. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const events: Array<Record<string, unknown>> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      events.push({ ...JSON.parse(body), headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    events,
    waitFor: (match, timeout = 60_000) =>
      waitUntil('a matching webhook', () => events.find(match), {
        timeout,
        interval: 200,
        detail: () => `got ${JSON.stringify(events)}`,
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
