/**
 * Fails the run at once, with instructions, when PostgreSQL or Redis is not reachable: a wall
 * of connection errors (or of cache tests silently falling back to the database) helps nobody.
 */
import Redis from 'ioredis';
import { Client } from 'pg';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env';

/** Runs `probe`; on failure, says what is missing and how to start it. */
async function reachable(what: string, url: string, variable: string, start: string[], probe: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (error) {
    return (
      `The tests need ${what} at ${url} (set ${variable} to use another).\n` +
      `Start it with:  ${start[0]}\nor with Docker: ${start[1]}\n` +
      `Cause: ${error instanceof Error ? error.message : String(error)}`
    );
  }
}

async function pingPostgres(): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function pingRedis(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

export default async function globalSetup(): Promise<void> {
  const problems = (
    await Promise.all([
      reachable('PostgreSQL', TEST_DATABASE_URL, 'TEST_DATABASE_URL', [
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
        'docker compose up -d postgres',
      ], pingPostgres),
      reachable('Redis', TEST_REDIS_URL, 'TEST_REDIS_URL', [
        'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
        'docker compose up -d redis-cache',
      ], pingRedis),
    ])
  ).filter(Boolean);
  if (problems.length > 0) throw new Error(problems.join('\n\n'));
}
