/**
 * The embedded PostgreSQL used when no DATABASE_URL is set: PGlite (PostgreSQL compiled to
 * WebAssembly) behind its wire-protocol socket server, so the very same `pg` driver and SQL run
 * against it as against a real server.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** A `postgres://` URL for the driver. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite with its files under `dataDir` and serves it on a free loopback port.
 * PGlite runs one statement at a time, so callers should use a pool of one connection.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres:postgres@${address}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
