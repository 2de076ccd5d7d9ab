/**
 * An instance whose connection to Redis stays open but stops answering (a stalled network path)
 * cannot hear invalidations; it must stop serving its L1 rather than serve it indefinitely.
 */
import { benchDocument } from '../helpers/documents';
import { TEST_REDIS_URL } from '../helpers/env';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { until } from '../helpers/until';
import { warm } from '../helpers/warm';

let a: TestServer;
let b: TestInstance;
let proxy: TcpProxy;
let admin: string;

beforeAll(async () => {
  const target = new URL(TEST_REDIS_URL);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  a = await startTestServer({ label: 'stalled', redis: true, config: { CACHE_SUBSCRIBER_PROBE_MS: '200', CACHE_ACK_TIMEOUT_MS: '300' } });
  b = await a.startInstance({ REDIS_URL: proxy.url });
  admin = await a.login(1);
});
afterAll(async () => {
  proxy?.resume();
  await a?.stop();
  await proxy?.close();
});

it('stops serving L1 once its subscriber stops answering, and uses it again once it answers', async () => {
  const id = '44';
  const price = 'query ($id: ID!) { product(id: $id) { id priceCents } }';
  await warm([b], price, { id });
  const before = (await b.request(price, { id })).body.data.product.priceCents;

  proxy.stall();
  const answered = await a.request(benchDocument('update-price'), { id, priceCents: before + 1 }, { token: admin });
  // B received the message (Redis counts its subscription) but cannot acknowledge it.
  expect(answered.body.extensions?.cache?.invalidation?.status).toBe('deferred');
  // Within a probe or two B stops trusting its L1, and reads past it (Redis is stalled too, so
  // the database answers, after the Redis timeout).
  await until(() => !b.app.cacheLayer.cache!.isL1Trusted);
  expect((await b.request(price, { id })).body.data.product.priceCents).toBe(before + 1);

  proxy.resume();
  await until(() => b.app.cacheLayer.cache!.isL1Trusted);
  expect((await b.request(price, { id })).body.data.product.priceCents).toBe(before + 1);
});
