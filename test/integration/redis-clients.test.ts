/**
 * The Redis client factories with a Redis that is not there: connection errors reach the
 * caller's handler (ioredis would otherwise print each retry to stderr, outside the
 * structured logs), and closing a client that never connected does not wait for it.
 */
import { closeRedis, createCacheClient, createSubscriberClient } from '../../src/redis/clients';
import { startRedisServer } from '../helpers/redis-server';
import { until } from '../helpers/until';

async function closedPort(): Promise<number> {
  const redis = await startRedisServer();
  await redis.stop();
  return redis.port;
}

it.each([
  ['cache', createCacheClient],
  ['subscriber', createSubscriberClient],
])('a %s client hands connection errors to onError, and closes at once though it never connected', async (_kind, create) => {
  const url = `redis://127.0.0.1:${await closedPort()}`;
  const errors: Error[] = [];
  const client = create({ url, onError: (error) => errors.push(error) });
  await until(() => errors.length >= 2);
  expect(errors[0]!.message).toMatch(/ECONNREFUSED/);
  // A subscriber's QUIT would wait in its offline queue for a Redis that never comes.
  if (create === createSubscriberClient) void client.subscribe('anything').catch(() => undefined);
  await closeRedis(client);
  // And it stops trying: no attempt (the next was due within 300 ms) fails after the close.
  const failed = errors.length;
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(errors.length).toBe(failed);
});
