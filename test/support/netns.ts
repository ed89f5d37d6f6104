// Hosts for scale-out tests: network namespaces joined to this machine by veth pairs, in a private
// /24 (10.231.x.0/24) that nothing else here uses. Each namespace routes only that /24, so a
// worker inside can reach the shared services and nothing else. Everything made is torn down.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ip } from './fleet.js';

export interface Host {
  name: string;
  /** The namespace's own address. */
  address: string;
  /** The host side of its veth pair. */
  link: string;
}

export interface Lab {
  /** The services' address (CMS, Postgres relay), on this machine's loopback device. */
  service: string;
  hosts: Host[];
  addHost(): Promise<Host>;
  /** Cuts a host off the network (its link goes), then removes its namespace. */
  removeHost(host: Host): Promise<void>;
  /** Relays `service:port` to a loopback TCP service (Postgres listens on 127.0.0.1 only). */
  relay(target: { host: string; port: number }): Promise<number>;
  teardown(): Promise<void>;
}

/** Why namespaces can't be made here, or null when they can. */
export async function netnsUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'making network namespaces needs root';
  const probe = `di-probe-${process.pid}`;
  try {
    await ip('netns', 'add', probe);
    await ip('netns', 'del', probe);
    return null;
  } catch (err) {
    return `ip netns is unavailable: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** A /24 under 10.231.0.0/16 that no address or route on this machine touches. */
async function freeSubnet(): Promise<number> {
  const taken = `${await ip('-o', '-4', 'addr', 'show')}\n${await ip('-4', 'route', 'show', 'table', 'all')}`;
  for (let tries = 0; tries < 64; tries++) {
    const x = 1 + Math.floor(Math.random() * 254);
    if (!taken.includes(`10.231.${x}.`)) return x;
  }
  throw new Error('no free /24 in 10.231.0.0/16');
}

export async function createLab(): Promise<Lab> {
  const x = await freeSubnet();
  const prefix = `10.231.${x}`;
  const service = `${prefix}.1`;
  await ip('addr', 'add', `${service}/32`, 'dev', 'lo');
  const hosts: Host[] = [];
  const relays: Server[] = [];
  const sockets = new Set<Socket>();
  let next = 1;

  const lab: Lab = {
    service,
    hosts,
    async addHost() {
      const i = next++;
      if (i > 62) throw new Error('at most 62 hosts in one /24');
      const name = `di${x}h${i}`;
      const link = `di${x}v${i}`;
      const peer = `di${x}p${i}`;
      const hostSide = `${prefix}.${4 * i + 1}`;
      const address = `${prefix}.${4 * i + 2}`;
      const host = { name, address, link };
      hosts.push(host);
      await ip('netns', 'add', name);
      await ip('link', 'add', link, 'type', 'veth', 'peer', 'name', peer);
      await ip('link', 'set', peer, 'netns', name);
      await ip('addr', 'add', `${hostSide}/30`, 'dev', link);
      await ip('link', 'set', link, 'up');
      await ip('-n', name, 'addr', 'add', `${address}/30`, 'dev', peer);
      await ip('-n', name, 'link', 'set', peer, 'up');
      await ip('-n', name, 'link', 'set', 'lo', 'up');
      // Only the lab's /24: no default route, so nothing outside it can be reached.
      await ip('-n', name, 'route', 'add', `${prefix}.0/24`, 'via', hostSide);
      return host;
    },
    async removeHost(host) {
      await ip('link', 'del', host.link).catch(() => {});
      await ip('netns', 'del', host.name).catch(() => {});
      hosts.splice(hosts.indexOf(host), 1);
    },
    async relay(target) {
      const server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      relays.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, service, resolve);
      });
      return (server.address() as { port: number }).port;
    },
    async teardown() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(relays.map((r) => new Promise((resolve) => r.close(resolve))));
      for (const host of [...hosts]) await lab.removeHost(host);
      await ip('addr', 'del', `${service}/32`, 'dev', 'lo').catch(() => {});
    },
  };
  return lab;
}
