/**
 * Starts a throwaway redis-server on a free loopback port (for configurations the shared test
 * Redis does not have, such as ACL users or TLS), and stops it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface ExtraRedis {
  port: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface ExtraRedisOptions {
  /** Serve TLS only (no plain port) with this certificate and key. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

export async function startRedisServer(extraArgs: string[] = [], options: ExtraRedisOptions = {}): Promise<ExtraRedis> {
  const port = await freePort();
  const listen = options.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile]
    : ['--port', String(port)];
  // Clients are not asked for certificates: the server's is what the tests are about.
  const tls = options.tls ? ['--tls-ca-cert-file', options.tls.caFile, '--tls-auth-clients', 'no'] : [];
  const args = [...listen, ...tls, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs];
  const child: ChildProcess = spawn('redis-server', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start within 5 s')), 5000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
