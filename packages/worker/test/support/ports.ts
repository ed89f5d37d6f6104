import { createServer } from 'node:net';

/**
 * A port for a server that a test starts later (a CMS, a Postgres), below the kernel's ephemeral range
 * (32768–60999 here), so an outgoing connection can't take it between this check and the server's bind.
 * Test files that run at the same time have different vitest pool ids, so their ranges never meet;
 * within a file the ports are handed out in turn, each checked free first (a server from an earlier file
 * in the same pool may still hold one). The turn starts at a random place, so two test runs on one
 * machine (two checkouts) rarely reach for the same port while a server is still starting.
 */
const RANGE = 400;
const FIRST = 20_000;
let next = Math.floor(Math.random() * RANGE);

export async function freePort(): Promise<number> {
  const pool = Number(process.env.VITEST_POOL_ID ?? 0);
  const base = FIRST + (Number.isInteger(pool) && pool >= 0 && pool < 20 ? pool : 0) * RANGE;
  for (let tries = 0; tries < RANGE; tries++) {
    const port = base + (next++ % RANGE);
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${base}–${base + RANGE - 1}`);
}

/** Free on every address: the CMS may bind another address than loopback. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}
