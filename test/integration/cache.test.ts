/**
 * The cache on real Redis: reads through L1 and L2, exact SQL and Redis counts, scopes, and
 * invalidation across two instances that each have their own L1 and share one Redis.
 */
import Redis from 'ioredis';
import { benchDocument } from '../helpers/documents';
import { TEST_REDIS_URL } from '../helpers/env';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';
import { until } from '../helpers/until';

let a: TestServer;
let b: TestInstance;
let redis: Redis;

beforeAll(async () => {
  a = await startTestServer({ label: 'cache', redis: true });
  b = await a.startInstance();
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await a?.stop();
  await redis?.quit();
});

const counters = (instance: TestInstance) => instance.app.cacheLayer.cache!.counters;
const settled = (instance: TestInstance) => instance.app.cacheLayer.cache!.settled();

async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

const PRICE = 'query ($id: ID!) { product(id: $id) { id priceCents updatedAt } }';

describe('reading through the cache', () => {
  it('a catalog page served cold, then by another instance from Redis alone: 0 SQL', async () => {
    const cold = await a.countSql(() => a.request(benchDocument('catalog')));
    // The cache-off count (5) plus two: with the cache on, list queries keep only ids and the
    // products and reviews come through their entity loaders, which fill the cache safely.
    expect(cold).toBe(7);
    await settled(a);

    const before = counters(b).redisRoundTrips;
    let body: any;
    const warm = await b.countSql(async () => {
      body = (await b.request(benchDocument('catalog'))).body;
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.products.edges).toHaveLength(50);
    expect(warm).toBe(0);
    // The whole response, stored by A, in one MGET; then, in one more, the versions of the tags
    // it recorded (a response's tags are known only from the entry), all unchanged.
    expect(counters(b).redisRoundTrips - before).toBe(2);
  });

  it('a response miss whose parts are cached: 0 SQL, one Redis round trip per loader level', async () => {
    await settled(b);
    const c = await a.startInstance();
    const variant = benchDocument('catalog').replace('node {', 'node { __typename');
    const before = counters(c).redisRoundTrips;
    let body: any;
    const sql = await c.countSql(async () => {
      body = (await c.request(variant)).body;
    });
    expect(body.data.products.edges).toHaveLength(50);
    expect(sql).toBe(0);
    // The response itself (a miss), then one MGET per loader or field batch however many items
    // it holds: the products page, products, categories, the rating and reviews fields, reviews,
    // authors. Commands of one tick share a network round trip too (ioredis auto-pipelining).
    // And the new response written back in one pipeline, recording the versions its parts were
    // checked against (nothing to read first): 8 in all.
    await settled(c);
    expect(counters(c).redisRoundTrips - before).toBe(8);
    await c.stop();
  });

  it('the same page again on the same instance is served from L1: no SQL, no Redis', async () => {
    await settled(b);
    const before = counters(b).redisRoundTrips;
    const sql = await b.countSql(() => b.request(benchDocument('catalog')));
    expect(sql).toBe(0);
    expect(counters(b).redisRoundTrips - before).toBe(0);
  });

  it('a product page after the catalog needs only the product page’s own lists', async () => {
    const id = String(a.dataset.reviews[0]!.productId);
    const first = await a.countSql(() => a.request(benchDocument('product-page'), { id }));
    expect(first).toBeLessThanOrEqual(5);
    await settled(a);
    const again = await b.countSql(() => b.request(benchDocument('product-page'), { id }));
    expect(again).toBe(0);
  });
});

describe('invalidation across instances', () => {
  it('after a price change answers on one instance, the other never serves the old price (30 rounds)', async () => {
    const admin = await a.login(1);
    const id = '7';
    for (let round = 0; round < 30; round += 1) {
      // Both instances hold the product in L1 and Redis.
      await Promise.all([a.request(PRICE, { id }), b.request(PRICE, { id })]);
      await Promise.all([settled(a), settled(b)]);
      const writer = round % 2 === 0 ? a : b;
      const reader = round % 2 === 0 ? b : a;
      const price = 1000 + round;
      const update = await writer.request(benchDocument('update-price'), { id, priceCents: price }, { token: admin });
      expect(update.body.errors).toBeUndefined();
      const read = await reader.request(PRICE, { id });
      expect(read.body.data.product.priceCents).toBe(price);
      const catalog = await reader.request('{ products(first: 100, orderBy: PRICE_ASC) { edges { node { id priceCents } } } }');
      const listed = catalog.body.data.products.edges.find((e: any) => e.node.id === id);
      if (listed) expect(listed.node.priceCents).toBe(price);
    }
  });

  it('a new review shows at once on the other instance: count, rating and list', async () => {
    const productId = String(a.dataset.reviews[0]!.productId);
    const before = (await b.request(benchDocument('product-page'), { id: productId })).body.data.product;
    await settled(b);
    const token = await a.login(9);
    const added = await a.request(benchDocument('add-review'), { productId, rating: 5, body: 'Fresh from the test.' }, { token });
    expect(added.body.errors).toBeUndefined();
    const after = (await b.request(benchDocument('product-page'), { id: productId })).body.data.product;
    expect(after.reviewCount).toBe(before.reviewCount + 1);
    expect(after.reviews.totalCount).toBe(before.reviewCount + 1);
    expect(after.reviews.edges[0].node.id).toBe(added.body.data.addReview.id);
    const expected = (before.averageRating * before.reviewCount + 5) / (before.reviewCount + 1);
    expect(after.averageRating).toBeCloseTo(expected, 10);
  });

  it('a new product enters cached lists on every instance', async () => {
    const admin = await a.login(1);
    const list = '{ products(first: 5, filter: { categoryId: "3" }) { edges { node { id name } } } }';
    await b.request(list);
    await settled(b);
    const created = await a.request(
      'mutation { createProduct(input: { sku: "NEW-1", name: "Brand new", priceCents: 100, categoryId: "3" }) { id } }',
      {},
      { token: admin },
    );
    expect(created.body.errors).toBeUndefined();
    const after = await b.request(list);
    expect(after.body.data.products.edges[0].node.id).toBe(created.body.data.createProduct.id);
  });

  it('a write waits until every instance that received the invalidation acknowledged it', async () => {
    // Two instances subscribe under this prefix: PUBLISH reaches both, and both answer.
    expect(await a.app.cacheLayer.invalidate(['Nothing:1'])).toEqual({ receivers: 2, acknowledged: 2, stored: true });
    expect(await b.app.cacheLayer.invalidate(['Nothing:2'])).toEqual({ receivers: 2, acknowledged: 2, stored: true });
  });

  it('the writer counts its own receipt itself: one acknowledgement crosses Redis per other instance, one drop per instance', async () => {
    const listener = new Redis(TEST_REDIS_URL);
    const publisher = new Redis(TEST_REDIS_URL);
    const acks: string[] = [];
    try {
      const ackChannel = `${a.app.cacheLayer.cache!.keys.prefix}:ack`;
      listener.on('message', (_channel: string, payload: string) => acks.push(payload));
      await listener.subscribe(ackChannel);
      const drops = new Map<TestInstance, number>();
      for (const instance of [a, b]) {
        const cache = instance.app.cacheLayer.cache!;
        const dropLocal = cache.dropLocal.bind(cache);
        cache.dropLocal = (tags) => {
          if (tags.includes('Nothing:3')) drops.set(instance, (drops.get(instance) ?? 0) + 1);
          return dropLocal(tags);
        };
      }
      expect(await a.app.cacheLayer.invalidate(['Nothing:3'])).toEqual({ receivers: 2, acknowledged: 2, stored: true });
      // Every acknowledgement was published before the invalidation resolved; a marker published
      // after it reaches the listener after them all (Redis delivers in the order it publishes).
      await publisher.publish(ackChannel, 'marker');
      await until(() => acks.includes('marker'));
      // Only B acknowledged over Redis; A counted its own receipt.
      expect(acks.filter((ack) => ack !== 'marker')).toHaveLength(1);
      // And A dropped the tags once, before publishing, not again when its own message came back.
      expect(drops.get(a)).toBe(1);
      expect(drops.get(b)).toBe(1);
    } finally {
      await Promise.all([listener.quit(), publisher.quit()]);
    }
  });
});

describe('private data', () => {
  it('me is cached per user and never served to another user or to nobody', async () => {
    const [two, three] = [await a.login(2), await a.login(3)];
    const meTwo = (await a.request(benchDocument('me'), {}, { token: two })).body.data.me;
    await settled(a);
    const meThree = (await b.request(benchDocument('me'), {}, { token: three })).body.data.me;
    const meTwoAgain = (await b.request(benchDocument('me'), {}, { token: two })).body.data.me;
    expect(meTwo.email).toBe('user2@example.com');
    expect(meThree.email).toBe('user3@example.com');
    expect(meTwoAgain).toEqual(meTwo);
    const anonymous = await b.request(benchDocument('me'));
    expect(anonymous.body.data.me).toBeNull();
    const keys = await keysUnder(a.config.cacheKeyPrefix);
    expect(keys.some((k) => k.includes(':f:Query.me:') && k.endsWith(':u2'))).toBe(true);
    expect(keys.filter((k) => k.includes(':f:Query.me:')).every((k) => /:u\d+$/.test(k))).toBe(true);
  });
});

describe('what a price change drops, and what it keeps', () => {
  const admin = () => a.login(1);
  const setPrice = async (id: string, priceCents: number) => {
    const response = await a.request(benchDocument('update-price'), { id, priceCents }, { token: await admin() });
    expect(response.body.errors).toBeUndefined();
  };

  it('keeps the newest-first page (its ids did not change) and reloads only the product', async () => {
    const page = '{ products(first: 10) { edges { node { id priceCents } } } }';
    const first = (await b.request(page)).body.data.products.edges;
    await settled(b);
    const target = first[2].node.id;
    await setPrice(target, 31337);
    const statements: string[] = [];
    const off = b.database.sql.onStatement((sql) => statements.push(sql));
    const after = (await b.request(page)).body.data.products.edges;
    off();
    expect(after.map((e: any) => e.node.id)).toEqual(first.map((e: any) => e.node.id));
    expect(after[2].node.priceCents).toBe(31337);
    // One statement: the changed product. The page of ids came from the cache.
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/from "product"/);
  });

  it('reorders lists sorted by price and fills lists filtered by price', async () => {
    const cheapest = '{ products(first: 3, orderBy: PRICE_ASC) { edges { node { id priceCents } } } }';
    const band = '{ products(first: 5, filter: { minPriceCents: 0, maxPriceCents: 1 }) { edges { node { id } } } }';
    const before = (await b.request(cheapest)).body.data.products.edges;
    expect((await b.request(band)).body.data.products.edges).toHaveLength(0);
    await settled(b);
    const mover = '150';
    expect(before.map((e: any) => e.node.id)).not.toContain(mover);
    await setPrice(mover, 1);
    const after = (await b.request(cheapest)).body.data.products.edges;
    expect(after[0].node).toEqual({ id: mover, priceCents: 1 });
    expect((await b.request(band)).body.data.products.edges.map((e: any) => e.node.id)).toEqual([mover]);
  });
});

describe('moving a product to another category', () => {
  it('takes it out of the old category’s cached list and into the new one’s, on every instance', async () => {
    const admin = await a.login(1);
    const list = (categoryId: string) =>
      b.request('query ($c: ID!) { category(id: $c) { products(first: 100) { edges { node { id } } } } }', { c: categoryId });
    const ids = async (categoryId: string) => (await list(categoryId)).body.data.category.products.edges.map((e: any) => e.node.id);
    const product = a.dataset.products.find((p) => p.categoryId === 4)!;
    const id = String(product.id);
    expect(await ids('4')).toContain(id);
    expect(await ids('5')).not.toContain(id);
    await settled(b);

    const refused = await a.request('mutation ($id: ID!) { updateProduct(id: $id, input: { categoryId: "9999" }) { id } }', { id }, { token: admin });
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.categoryId' });

    const moved = await a.request(
      'mutation ($id: ID!) { updateProduct(id: $id, input: { categoryId: "5" }) { id category { id } } }',
      { id },
      { token: admin },
    );
    expect(moved.body.data.updateProduct.category.id).toBe('5');
    expect(a.events.at(-1)).toMatchObject({ type: 'ProductUpdated', productId: product.id, categoryIds: [4, 5] });
    expect(await ids('4')).not.toContain(id);
    expect(await ids('5')).toContain(id);
  });
});
