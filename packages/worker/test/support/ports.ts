import { createServer } from 'node:net';

/**
 * A port for a server that a test starts later (a CMS, a Postgres), below the kernel's ephemeral range
 * (32768–60999 here), so an outgoing connection can't take it between this check and the server's bind.
 * Test files that run at the same time have different vitest pool ids, so their ranges never meet;
 * within a file the ports are handed out in turn, each checked free first (a server from an earlier file
 * in the same pool may still hold one).
 */
const RANGE = 400;
const FIRST = 20_000;
let next = 0;

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
