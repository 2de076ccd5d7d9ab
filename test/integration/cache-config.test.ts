/**
 * Redis as deployments configure it: a URL with a username and password (an ACL user), TLS
 * with a private certificate authority, and a Redis that is not there yet at start.
 */
import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { benchDocument } from '../helpers/documents';
import { startRedisServer, type ExtraRedis } from '../helpers/redis-server';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls';
import { until } from '../helpers/until';
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
      await until(() => cache.isL1Trusted, 15_000);
    } finally {
      await instance.stop();
      await back.stop();
    }
  }, 40_000);
});

describe('Redis over TLS (rediss://), its certificate signed by a private authority', () => {
  let certificates: TestCertificates;
  let tlsRedis: ExtraRedis;
  let url: string;

  beforeAll(async () => {
    certificates = makeTestCertificates();
    // TLS only: the server has no plain port, so anything cached went through TLS.
    tlsRedis = await startRedisServer([], { tls: certificates });
    url = `rediss://127.0.0.1:${tlsRedis.port}`;
  });
  afterAll(async () => {
    await tlsRedis?.stop();
    certificates?.remove();
  });

  const keysIn = async () => {
    const client = new Redis(url, { tls: { ca: [readFileSync(certificates.caFile, 'utf8')] }, lazyConnect: true });
    try {
      await client.connect();
      return await client.dbsize();
    } finally {
      client.disconnect();
    }
  };

  it('verifies the server against REDIS_TLS_CA_FILE and caches through it', async () => {
    const env = { REDIS_URL: url, REDIS_TLS_CA_FILE: certificates.caFile };
    const first = await server.startInstance(env);
    const cache = first.app.cacheLayer.cache!;
    // Subscribed over TLS too (on a crowded machine, maybe after the start's short wait).
    await until(() => cache.isL1Trusted);
    await first.request(benchDocument('catalog'));
    await cache.settled();
    expect(await keysIn()).toBeGreaterThan(0);
    const other = await server.startInstance(env);
    expect(await other.countSql(() => other.request(benchDocument('catalog')))).toBe(0);
    expect(cache.counters.errors).toBe(0);
    expect(other.app.cacheLayer.cache!.counters.errors).toBe(0);
    await Promise.all([first.stop(), other.stop()]);
  });

  it('refuses a certificate it cannot verify: answers come from the database, nothing reaches that Redis', async () => {
    await server.startInstance({ REDIS_URL: url, REDIS_TLS_CA_FILE: certificates.caFile }).then((warm) => warm.app.cacheLayer.purge().then(() => warm.stop()));
    const before = await keysIn();
    // No REDIS_TLS_CA_FILE: only the public roots are trusted, and they did not sign this server.
    const instance = await server.startInstance({ REDIS_URL: url });
    try {
      expect(instance.app.cacheLayer.cache!.isL1Trusted).toBe(false);
      const response = await instance.request(benchDocument('catalog'));
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.products.edges).toHaveLength(50);
      expect(await keysIn()).toBe(before);
    } finally {
      // Its clients never connected: stopping must not wait for them (a QUIT queued for a
      // Redis that never answers used to hold the stop forever).
      await instance.stop();
    }
  }, 20_000);
});
