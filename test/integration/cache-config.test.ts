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
