/**
 * The service as operators see it: health endpoints, a clean stop that lets in-flight requests
 * finish, and the real entry point started as a process (embedded database and configured
 * one), stopped by SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { benchDocument } from '../helpers/documents';
import { createTestDatabase } from '../helpers/database';
import { REPO_ROOT } from '../helpers/env';
import { startTestServer, type TestServer } from '../helpers/server';

describe('health and shutdown, in process', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'lifecycle' });
  });
  afterAll(() => server?.stop());

  it('answers /healthz and /readyz', async () => {
    const health = await server.raw({ path: '/healthz' });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await server.raw({ path: '/readyz' });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'up' });
  });

  it('finishes an in-flight request when stopped, then refuses new connections', async () => {
    const received = new Promise<void>((resolve) => server.app.httpServer.once('request', () => resolve()));
    const inFlight = server.request(benchDocument('catalog'));
    await received;
    const stopped = server.app.stop();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body.data.products.edges).toHaveLength(50);
    await stopped;
    await expect(fetch(server.url, { method: 'POST' })).rejects.toThrow();
  });
});

interface Started {
  child: ChildProcess;
  url: string;
  logs: () => string;
}

/** Children still running when a test ends (it failed midway) are killed, not left behind. */
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/**
 * Runs `npm start`'s command with `env`, resolving once the service logs that it is ready.
 * No deadline of its own: a first embedded start (create, migrate, seed) takes 14 s on an idle
 * machine and over a minute on a crowded one, so the test's budget is the only limit.
 */
function startProcess(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match && output.includes('storefront API ready')) resolve({ child, url: match[1]!, logs: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      running.delete(child);
      reject(new Error(`exited early with ${code}:\n${output}`));
    });
  });
}

function stopProcess(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.removeAllListeners('exit');
    started.child.once('exit', (code) => {
      running.delete(started.child);
      resolve(code);
    });
    started.child.kill('SIGTERM');
  });
}

async function catalogCount(url: string): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: benchDocument('catalog') }),
  });
  const body = (await response.json()) as any;
  return body.data.products.edges.length;
}

describe('the entry point as a process', () => {
  it('with no DATABASE_URL: embedded PostgreSQL, migrated, demo data, clean SIGTERM', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sf-embedded-'));
    try {
      const started = await startProcess({ EMBEDDED_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
      expect(started.logs()).toContain('database: embedded PostgreSQL (PGlite)');
      expect(started.logs()).toContain('loaded the seed dataset');
      expect(started.logs()).toContain('cache: in-process LRU only (no REDIS_URL)');
      expect(await catalogCount(started.url)).toBe(50);
      expect(await stopProcess(started)).toBe(0);
      expect(started.logs()).toContain('stopped cleanly');

      // A second start finds its data and does not seed again.
      const again = await startProcess({ EMBEDDED_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
      expect(again.logs()).not.toContain('loaded the seed dataset');
      expect(await catalogCount(again.url)).toBe(50);
      expect(await stopProcess(again)).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    // Two starts of a process that builds its own database: over a minute each on a crowded machine.
  }, 240_000);

  it('with DATABASE_URL: uses that database and says so', async () => {
    const db = await createTestDatabase('process');
    try {
      const started = await startProcess({ DATABASE_URL: db.url, SEED_ON_EMPTY: 'true', LOG_LEVEL: 'info' });
      expect(started.logs()).toContain('database: PostgreSQL from DATABASE_URL');
      expect(await catalogCount(started.url)).toBe(50);
      expect(await stopProcess(started)).toBe(0);
    } finally {
      await db.drop();
    }
  }, 120_000);

  it('npm run seed loads the deterministic dataset into DATABASE_URL', async () => {
    const db = await createTestDatabase('seedcli');
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/seed-cli.ts', '--size', 'demo'], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url },
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
      expect(output).toContain('Seeded "demo" into DATABASE_URL');
      expect(output).toContain('8 categories, 200 products, 50 users, 1000 reviews, 100 orders');
      const client = new Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query('select (select count(*) from review)::int as reviews, (select count(*) from order_item)::int > 0 as items');
      await client.end();
      expect(rows[0]).toEqual({ reviews: 1000, items: true });
    } finally {
      await db.drop();
    }
  }, 60_000);

  it('refuses a bad configuration with a clear message and exit code 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: 'eighty' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('PORT must be a whole number');
  });
});
