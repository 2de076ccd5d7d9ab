/**
 * Redis as deployments configure it: a URL with a username and password (an ACL user).
 */
import { benchDocument } from '../helpers/documents';
import { startRedisServer, type ExtraRedis } from '../helpers/redis-server';
import { startTestServer, type TestServer } from '../helpers/server';

let redis: ExtraRedis;
let server: TestServer;

beforeAll(async () => {
  redis = await startRedisServer(['--user', 'default', 'off', '--user', 'storefront', 'on', '>s3cret', '~*', '&*', '+@all']);
  server = await startTestServer({
    label: 'redisauth',
    redis: true,
    config: { REDIS_URL: `redis://storefront:s3cret@127.0.0.1:${redis.port}/0` },
  });
});
afterAll(async () => {
  await server?.stop();
  await redis?.stop();
});

it('authenticates with the username and password of REDIS_URL and caches through it', async () => {
  const cache = server.app.cacheLayer.cache!;
  await server.request(benchDocument('catalog'));
  await cache.settled();
  const other = await server.startInstance();
  const sql = await other.countSql(() => other.request(benchDocument('catalog')));
  expect(sql).toBe(0);
  expect(other.app.cacheLayer.cache!.counters.errors).toBe(0);
  expect(cache.counters.errors).toBe(0);
});

describe('Redis away at start', () => {
  it('the API starts anyway, answers from the database, and takes up the cache when Redis comes', async () => {
    const later = await startRedisServer();
    const port = later.port;
    await later.stop();
    const started = Date.now();
    const instance = await server.startInstance({ REDIS_URL: `redis://127.0.0.1:${port}` });
    // About 3 s of waiting for Redis at most (1 s to connect, 2 s to subscribe), then on.
    expect(Date.now() - started).toBeLessThan(8_000);
    const cache = instance.app.cacheLayer.cache!;
    expect(cache.isL1Trusted).toBe(false);
    const response = await instance.request(benchDocument('catalog'));
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.products.edges).toHaveLength(50);

    const back = await startRedisServer(['--port', String(port)]);
    try {
      const deadline = Date.now() + 15_000;
      while (!cache.isL1Trusted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(cache.isL1Trusted).toBe(true);
    } finally {
      await instance.stop();
      await back.stop();
    }
  }, 40_000);
});
