/**
 * Fails the run at once, with instructions, when PostgreSQL or Redis is not reachable: a wall
 * of connection errors (or of cache tests silently falling back to the database) helps nobody.
 */
import Redis from 'ioredis';
import { Client } from 'pg';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env';

async function checkPostgres(): Promise<string | undefined> {
  const client = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return (
      `The tests need PostgreSQL at ${TEST_DATABASE_URL} (set TEST_DATABASE_URL to use another).\n` +
      'Start it with:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n' +
      'or with Docker: docker compose up -d postgres\n' +
      `Cause: ${error instanceof Error ? error.message : String(error)}`
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(): Promise<string | undefined> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return (
      `The tests need Redis at ${TEST_REDIS_URL} (set TEST_REDIS_URL to use another).\n` +
      'Start it with:  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\n' +
      'or with Docker: docker compose up -d redis-cache\n' +
      `Cause: ${error instanceof Error ? error.message : String(error)}`
    );
  } finally {
    redis.disconnect();
  }
}

export default async function globalSetup(): Promise<void> {
  const problems = (await Promise.all([checkPostgres(), checkRedis()])).filter(Boolean);
  if (problems.length > 0) throw new Error(problems.join('\n\n'));
}
