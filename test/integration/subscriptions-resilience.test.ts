/**
 * Live updates when Redis goes away and clients come and go: an instance cut off from Redis
 * reconnects its fan-out by itself and then receives what was committed meanwhile (published by
 * the writer, or by an outbox relay for a writer that was cut off too), exactly once; Redis
 * subscriptions are held once per topic and released when the last client leaves; thousands of
 * connect-subscribe-disconnect cycles leave nothing behind.
 */
import vm from 'node:vm';
import v8 from 'node:v8';
import Redis from 'ioredis';
import { TEST_REDIS_URL } from '../helpers/env';
import { liveClient, record, useLiveInstances } from '../helpers/live';
import type { TestInstance, TestServer } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { until } from '../helpers/until';

let proxy: TcpProxy;
let redis: Redis;
const live = useLiveInstances({
  label: 'subscriptions_resilience',
  config: { OUTBOX_POLL_MS: '100', OUTBOX_PUBLISH_DELAY_MS: '300', LIVE_SOCKETS_PER_ADDRESS_MAX: '1000' },
  // B reaches Redis (cache, invalidations and live updates) only through the proxy.
  second: async () => {
    const target = new URL(TEST_REDIS_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    return { REDIS_URL: proxy.url, REDIS_COMMAND_TIMEOUT_MS: '200' };
  },
});
const { client, setPrice } = live;
const WATCH = 'subscription ($id: ID!) { productUpdated(id: $id) { id priceCents } }';
let a: TestServer;
let b: TestInstance;
beforeAll(() => {
  ({ a, b } = live);
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await proxy?.close();
  redis?.disconnect();
});

const channel = (instance: TestInstance, topic: string) => `${instance.config.cacheKeyPrefix}:live:${topic}`;
async function numsub(name: string): Promise<number> {
  const reply = (await redis.pubsub('NUMSUB', name)) as [string, number];
  return Number(reply[1]);
}

it('Redis cut and restored: the fan-out reconnects without a restart, and what was committed meanwhile arrives once', async () => {
  const product = a.dataset.products[0]!;
  const onA = record(client(a), WATCH, { id: String(product.id) });
  const onB = record(client(b), WATCH, { id: String(product.id) });
  await until(() => a.app.live.registry.readyCount === 1 && b.app.live.registry.readyCount === 1);
  await setPrice(a, product.id, 500);
  await Promise.all([onA.waitFor(1), onB.waitFor(1)]);

  await proxy.cut();
  // Once Redis has seen B's connections go (else A would wait for B's acknowledgement in vain).
  await until(async () => (await numsub(channel(a, `product:${product.id}`))) === 1);
  // Published by A while B cannot hear it.
  await setPrice(a, product.id, 501);
  // Written through B, which cannot reach Redis: A's outbox relay publishes it.
  await setPrice(b, product.id, 502);
  await onA.waitFor(3);
  expect(onA.payloads.map((payload) => payload.data.productUpdated.priceCents)).toEqual([500, 501, 502]);
  expect(onB.payloads).toHaveLength(1);

  await proxy.restore();
  await onB.waitFor(3);
  // The same events, in the same order, each once; resolved after the write that caused it.
  expect(onB.payloads.map((payload) => payload.extensions!.eventId)).toEqual(onA.payloads.map((payload) => payload.extensions!.eventId));
  expect(onB.payloads[2]!.data.productUpdated.priceCents).toBe(502);

  // Live again, both ways, with no restart.
  await setPrice(b, product.id, 503);
  await Promise.all([onA.waitFor(4), onB.waitFor(4)]);
  expect(onB.payloads[3]!.data.productUpdated.priceCents).toBe(503);
  expect(onA.payloads).toHaveLength(4);
  expect(onB.payloads).toHaveLength(4);
});

it('holds one Redis subscription per topic however many listen, and PUBSUB NUMSUB returns to where it was', async () => {
  const product = a.dataset.products[1]!;
  const topic = `product:${product.id}`;
  const before = await numsub(channel(a, topic));
  const watchers = Array.from({ length: 20 }, (_, i) =>
    // Two documents: two distinct subscriptions, one topic.
    record(client(a), i % 2 ? WATCH : 'subscription ($id: ID!) { productUpdated(id: $id) { id name } }', { id: String(product.id) }),
  );
  await until(() => a.app.live.registry.readyCount === 20);
  expect(a.app.live.registry.distinctCount).toBe(2);
  expect(await numsub(channel(a, topic))).toBe(before + 1);
  for (const watcher of watchers) watcher.stop();
  await until(() => a.app.live.registry.memberCount === 0);
  await until(async () => (await numsub(channel(a, topic))) === before);
  expect(a.app.live.bus.topicCount).toBe(0);
});

it('10,000 connect-subscribe-disconnect cycles leave sockets, subscriptions, topics and listeners where they started', async () => {
  const subscriber = (a.app.live.bus as any).options.subscriber as Redis;
  const pubsub = (a.app.live.bus as any).pubsub;
  const token = await a.login(2);
  const snapshot = () => ({
    members: a.app.live.registry.memberCount,
    distinct: a.app.live.registry.distinctCount,
    registryTopics: a.app.live.registry.topicCount,
    busTopics: a.app.live.bus.topicCount,
    redisRefs: pubsub.subsRefsMap.size,
    redisSubscriptions: Object.keys(pubsub.subscriptionMap).length,
    messageListeners: subscriber.listenerCount('message'),
    readyListeners: subscriber.listenerCount('ready'),
    upgradeListeners: a.app.httpServer.listenerCount('upgrade'),
    sockets: a.app.live.server!.socketCount(),
    wsClients: a.app.live.server!.wss.clients.size,
    subscriptions: a.app.live.server!.subscriptionCount(),
    addresses: a.app.live.server!.addressCount(),
  });
  const gc = (() => {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  })();
  // The sockets of earlier tests finish closing first.
  await until(() => a.app.live.server!.socketCount() === 0);
  const start = snapshot();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;

  const BATCH = 100;
  for (let batch = 0; batch < 100; batch += 1) {
    // Some sockets signed in (a session topic each), several products (topics come and go).
    const batchClients = Array.from({ length: BATCH }, (_, i) => liveClient(a.url, { token: i % 10 === 0 ? token : undefined }));
    batchClients.forEach((batchClient, i) => record(batchClient, WATCH, { id: String(a.dataset.products[(batch + i) % 5]!.id) }));
    await until(() => a.app.live.registry.readyCount === BATCH, 20_000);
    await Promise.all(batchClients.map((batchClient) => batchClient.dispose()));
    await until(() => a.app.live.registry.memberCount === 0, 20_000);
  }
  await until(() => a.app.live.bus.topicCount === 0 && pubsub.subsRefsMap.size === 0 && a.app.live.server!.socketCount() === 0);
  expect(snapshot()).toEqual(start);
  expect(start).toMatchObject({ members: 0, sockets: 0, subscriptions: 0, addresses: 0, busTopics: 0 });
  gc();
  // Bounded growth: 10,000 cycles leaking even 5 KB each would show as 50 MB.
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20 * 1024 * 1024);
}, 120_000);
