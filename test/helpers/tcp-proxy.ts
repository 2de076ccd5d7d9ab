/**
 * A TCP proxy on a free loopback port in front of a real server (Redis), which a test can cut
 * (every connection dropped, new ones refused) and restore, to play a network failure; or slow
 * down (every reply held `delayMs`) and stall (replies held until `resume`), to play a server
 * that is alive but late. Order is kept: a reply never overtakes an earlier one.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Holds every reply this long before passing it on (0: none). */
  setDelay(ms: number): void;
  /** Holds every reply until `resume`. */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, scheme = 'redis'): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  let delayMs = 0;
  let stalled = false;
  /** Replies held while stalled, in arrival order, with where they go. */
  const held: { to: net.Socket; chunk: Buffer }[] = [];
  /** Per client, when its last reply leaves: a delayed reply never passes an earlier one. */
  const lastOut = new WeakMap<net.Socket, number>();

  const deliver = (to: net.Socket, chunk: Buffer) => {
    if (stalled) return void held.push({ to, chunk });
    if (delayMs === 0) return void to.write(chunk);
    const at = Math.max(Date.now() + delayMs, lastOut.get(to) ?? 0);
    lastOut.set(to, at);
    setTimeout(() => to.destroyed || to.write(chunk), at - Date.now());
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.on('data', (chunk: Buffer) => deliver(client, chunk));
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      held.length = 0;
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });

  await listen();
  return {
    port,
    get url() {
      return `${scheme}://127.0.0.1:${port}`;
    },
    cut: stop,
    restore: listen,
    setDelay: (ms) => {
      delayMs = ms;
    },
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const { to, chunk } of held.splice(0)) deliver(to, chunk);
    },
    close: stop,
  };
}
