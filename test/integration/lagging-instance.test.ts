/**
 * An instance that has not yet heard of a write Redis already knows: what it builds from its
 * L1 in the meantime must not be stored in Redis as current. A whole response is dated by the
 * parts it was built from, not by its own lookup (found by the fault-injecting checker).
 */
import net from 'node:net';
import { benchDocument } from '../helpers/documents';
import { TEST_REDIS_URL } from '../helpers/env';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';
import { redisOf } from '../helpers/cache-store';
import { until } from '../helpers/until';
import { warm } from '../helpers/warm';

/** A proxy to Redis that holds the replies of the invalidation subscriber only, for `lateMs`. */
async function lateSubscriberProxy(lateMs: number) {
  const target = new URL(TEST_REDIS_URL);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    let late = false;
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes('storefront:invalidation')) late = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => (late ? setTimeout(() => client.destroyed || client.write(chunk), lateMs) : client.write(chunk)));
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

let a: TestServer;
let b: TestInstance;
let admin: string;
let proxy: Awaited<ReturnType<typeof lateSubscriberProxy>>;

beforeAll(async () => {
  proxy = await lateSubscriberProxy(500);
  a = await startTestServer({ label: 'lagging', redis: true });
  b = await a.startInstance({ REDIS_URL: proxy.url });
  admin = await a.login(1);
});
afterAll(async () => {
  await a?.stop();
  await proxy?.close();
});

it('a page built from an entity it has not yet heard was changed is not served after the write answered', async () => {
  const id = '42';
  const price = 'query ($id: ID!) { product(id: $id) { id priceCents } }';
  // B holds product 42 in L1; the product page itself has never been asked for.
  await warm([b], price, { id });
  const before = (await b.request(price, { id })).body.data.product.priceCents;
  const cache = a.app.cacheLayer.cache!;
  const version = () => redisOf(cache).get(cache.keys.tagVersion(`Product:${id}`));
  const unchanged = await version();

  const write = a.request(benchDocument('update-price'), { id, priceCents: before + 1 }, { token: admin });
  // A has stamped Redis; B hears of it only about 500 ms later, and builds the page meanwhile
  // from its L1. (Served old to this request, which came before the write answered: allowed.)
  await until(async () => (await version()) !== unchanged);
  await b.request(benchDocument('product-page'), { id });
  const answered = await write;
  expect(answered.body.extensions?.cache?.invalidation?.status).toBe('acknowledged');
  await b.app.cacheLayer.cache!.settled();

  // The write has answered, acknowledged by both: the old price is gone everywhere.
  for (const instance of [a, b]) {
    expect((await instance.request(benchDocument('product-page'), { id })).body.data.product.priceCents).toBe(before + 1);
  }
});

it('a field computed from an entity it has not yet heard was changed is not stored as current', async () => {
  const id = '43';
  const count = 'query ($id: ID!) { product(id: $id) { id reviewCount } }';
  const average = 'query ($id: ID!) { product(id: $id) { id averageRating } }';
  // B holds product 43's review statistics in L1; its average rating has never been asked for.
  await warm([b], count, { id });
  const cache = a.app.cacheLayer.cache!;
  const version = () => redisOf(cache).get(cache.keys.tagVersion(`Product:${id}:reviews`));
  const unchanged = await version();

  const customer = await a.login(7);
  const add = 'mutation ($productId: ID!) { addReview(input: { productId: $productId, rating: 1, body: "One star." }) { id } }';
  const write = a.request(add, { productId: id }, { token: customer });
  // Redis has the new version; B hears of it only about 500 ms later, and computes the average
  // meanwhile from the statistics in its L1.
  await until(async () => (await version()) !== unchanged);
  await b.request(average, { id });
  const answered = await write;
  expect(answered.body.errors).toBeUndefined();
  expect(answered.body.extensions?.cache?.invalidation?.status).toBe('acknowledged');
  await b.app.cacheLayer.cache!.settled();

  const [{ avg }] = await a.database.orm.em
    .getConnection()
    .execute<{ avg: string }[]>('select avg(rating)::float8 as avg from review where product_id = ?', [Number(id)]);
  for (const instance of [a, b]) {
    expect((await instance.request(average, { id })).body.data.product.averageRating).toBeCloseTo(Number(avg), 6);
  }
});
