/**
 * A Redis timeout must mean "Redis is slow", not "this process was busy": a reply that arrived
 * while the event loop was blocked wins over a timer that expired meanwhile. Without that, a
 * CPU-bound burst makes every cache call "time out", opens the circuit and sends the load to
 * the database, which makes the burst worse.
 */
import Redis from 'ioredis';
import { withTimeout } from '../../src/cache/redis-store';
import { TEST_REDIS_URL } from '../helpers/env';

function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Spin: stands for a CPU-bound request holding the event loop.
  }
}

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL);
  await redis.ping();
});
afterAll(() => redis.quit());

describe('withTimeout', () => {
  it('lets a reply that arrived during a blocked loop win over the expired timer', async () => {
    const guarded = withTimeout(redis.ping(), 10, 'ping');
    // Redis answers within a millisecond; this process is blocked for 50.
    busyWait(50);
    await expect(guarded).resolves.toBe('PONG');
  });

  it('rejects when no reply comes', async () => {
    await expect(withTimeout(new Promise(() => undefined), 20, 'mget')).rejects.toThrow('Redis mget took longer than 20 ms');
  });

  it('passes errors through', async () => {
    await expect(withTimeout(redis.call('NO-SUCH-COMMAND') as Promise<unknown>, 100, 'x')).rejects.toThrow(/unknown command/i);
  });
});
