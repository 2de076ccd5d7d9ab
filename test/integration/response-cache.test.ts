/**
 * The whole-response tier: hits skip execution (anonymous ones as ready bytes, before Apollo),
 * writes invalidate responses on every instance, and private responses stay with their user.
 * What GET answers tell HTTP caches: http-caching.test.ts.
 */
import { benchDocument } from '../helpers/documents';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';

let a: TestServer;
let b: TestInstance;

beforeAll(async () => {
  a = await startTestServer({ label: 'response', redis: true });
  b = await a.startInstance();
});
afterAll(() => a?.stop());

const cacheOf = (instance: TestInstance) => instance.app.cacheLayer.cache!;

describe('hits', () => {
  it('a repeated anonymous catalog request is answered from L1 bytes: no SQL, no Redis, no execution', async () => {
    const first = await a.request(benchDocument('catalog'));
    await cacheOf(a).settled();
    const before = cacheOf(a).counters.redisRoundTrips;
    let second: any;
    const sql = await a.countSql(async () => {
      second = await a.request(benchDocument('catalog'));
    });
    expect(sql).toBe(0);
    expect(cacheOf(a).counters.redisRoundTrips - before).toBe(0);
    expect(second.body.data).toEqual(first.body.data);
    // No execution: the development summary (added during execution) is absent.
    expect(second.body.extensions).toBeUndefined();
  });

  it('another instance answers it from Redis in two round trips: the entry, then its tags\' versions', async () => {
    const before = cacheOf(b).counters.redisRoundTrips;
    const sql = await b.countSql(() => b.request(benchDocument('catalog')));
    expect(sql).toBe(0);
    expect(cacheOf(b).counters.redisRoundTrips - before).toBe(2);
  });

  it('a hit goes out in the media type Apollo would give it', async () => {
    await a.request(benchDocument('catalog'), { first: 3 });
    await cacheOf(a).settled();
    const accepts = {
      'application/graphql-response+json, application/json;q=0.1': 'application/graphql-response+json; charset=utf-8',
      'application/json;q=0, */*': 'application/graphql-response+json; charset=utf-8',
      '*/*': 'application/json; charset=utf-8',
    };
    for (const [accept, type] of Object.entries(accepts)) {
      const response = await a.request(benchDocument('catalog'), { first: 3 }, { headers: { accept } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.body.data.products.edges).toHaveLength(3);
    }
  });

  it('variables are part of the key', async () => {
    const ten = await a.request(benchDocument('catalog'), { first: 10 });
    const five = await a.request(benchDocument('catalog'), { first: 5 });
    expect(ten.body.data.products.edges).toHaveLength(10);
    expect(five.body.data.products.edges).toHaveLength(5);
  });
});

describe('misses', () => {
  const lookups = (instance: TestInstance) => cacheOf(instance).counters.hits + cacheOf(instance).counters.misses;

  it('concurrent anonymous misses for one page compute it once; the others are handed its answer', async () => {
    const page = benchDocument('product-page');
    // How many lookups one computation of the page makes, from an empty cache.
    await a.app.cacheLayer.purge();
    let before = lookups(a);
    const single = await a.request(page, { id: '9' });
    const perComputation = lookups(a) - before;
    await cacheOf(a).settled();

    await a.app.cacheLayer.purge();
    before = lookups(a);
    const many = await Promise.all(Array.from({ length: 20 }, () => a.request(page, { id: '9' })));
    for (const response of many) expect(response.body.data).toEqual(single.body.data);
    // One computation, plus one response lookup for each of the 19 others.
    expect(lookups(a) - before).toBe(perComputation + 19);
    await cacheOf(a).settled();
  });
});

describe('writes', () => {
  it('a price change replaces every cached response showing the product, on every instance', async () => {
    const admin = await a.login(1);
    const catalog = (await b.request(benchDocument('catalog'))).body.data.products.edges;
    const target = catalog[3].node;
    await Promise.all([cacheOf(a).settled(), cacheOf(b).settled()]);
    for (let round = 1; round <= 5; round += 1) {
      const price = target.priceCents + round;
      const writer = round % 2 ? a : b;
      const reader = round % 2 ? b : a;
      expect((await writer.request(benchDocument('update-price'), { id: target.id, priceCents: price }, { token: admin })).body.errors).toBeUndefined();
      const seen = (await reader.request(benchDocument('catalog'))).body.data.products.edges[3].node;
      expect(seen.priceCents).toBe(price);
      const page = (await reader.request(benchDocument('product-page'), { id: target.id })).body.data.product;
      expect(page.priceCents).toBe(price);
      await Promise.all([cacheOf(a).settled(), cacheOf(b).settled()]);
    }
  });

  it('a new review replaces the cached product page', async () => {
    const id = String(a.dataset.reviews[0]!.productId);
    const before = (await a.request(benchDocument('product-page'), { id })).body.data.product;
    await cacheOf(a).settled();
    const token = await b.login(7);
    await b.request(benchDocument('add-review'), { productId: id, rating: 1, body: 'Changed my mind.' }, { token });
    const after = (await a.request(benchDocument('product-page'), { id })).body.data.product;
    expect(after.reviewCount).toBe(before.reviewCount + 1);
    expect(after.reviews.edges[0].node.body).toBe('Changed my mind.');
  });
});

describe('private responses', () => {
  it('me.graphql is cached per user and served to that user only', async () => {
    const [five, six] = [await a.login(5), await a.login(6)];
    const meFive = (await a.request(benchDocument('me'), {}, { token: five })).body.data.me;
    await cacheOf(a).settled();
    const again = await b.countSql(() => b.request(benchDocument('me'), {}, { token: five }));
    // None: the session and the response both came from the cache.
    expect(again).toBe(0);
    const meSix = (await b.request(benchDocument('me'), {}, { token: six })).body.data.me;
    expect(meFive.email).toBe('user5@example.com');
    expect(meSix.email).toBe('user6@example.com');
    expect((await b.request(benchDocument('me'))).body.data.me).toBeNull();
  });

  it('an order placed shows in me.graphql at once', async () => {
    const token = await a.login(5);
    const before = (await b.request(benchDocument('me'), {}, { token })).body.data.me.orders.edges;
    await cacheOf(b).settled();
    const placed = await a.request('mutation { placeOrder(input: { items: [{ productId: "11", quantity: 1 }] }) { id } }', {}, { token });
    expect(placed.body.errors).toBeUndefined();
    const after = (await b.request(benchDocument('me'), {}, { token })).body.data.me.orders.edges;
    expect(after[0].node.id).toBe(placed.body.data.placeOrder.id);
    expect(after[1]?.node.id).toBe(before[0]?.node.id);
  });
});

describe('answers that depend on who asks', () => {
  it('an author’s own email, read through a public path, is never served to anyone else', async () => {
    // A product whose only review is user 12's, so the author may read the whole answer.
    const admin = await a.login(1);
    const created = await a.request(
      'mutation { createProduct(input: { sku: "PRIV-1", name: "Private test", priceCents: 1, categoryId: "1" }) { id } }',
      {},
      { token: admin },
    );
    const id = created.body.data.createProduct.id;
    const author = await a.login(12);
    await a.request(benchDocument('add-review'), { productId: id, rating: 3, body: 'Mine.' }, { token: author });
    const document = 'query ($id: ID!) { product(id: $id) { reviews(first: 5) { edges { node { author { id email } } } } } }';
    const own = await a.request(document, { id }, { token: author });
    expect(own.body.data.product.reviews.edges[0].node.author.email).toBe('user12@example.com');
    await cacheOf(a).settled();
    for (const instance of [a, b]) {
      const anonymous = await instance.request(document, { id });
      expect(JSON.stringify(anonymous.body)).not.toContain('user12@example.com');
      expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const someoneElse = await instance.request(document, { id }, { token: await instance.login(13) });
      expect(JSON.stringify(someoneElse.body)).not.toContain('user12@example.com');
      expect(someoneElse.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });
});
