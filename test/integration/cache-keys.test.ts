/**
 * Equal requests share one key and one set of tags: ids in any spelling, nulls and empty
 * inputs, untrimmed text, documents that differ only in layout. A request spelt differently
 * must neither miss what is cached nor escape the invalidation of what it shows.
 */
import { randomBytes } from 'node:crypto';
import { KeySpace } from '../../src/cache/keys';
import { TwoTierCache } from '../../src/cache/two-tier-cache';
import { createCacheClient } from '../../src/redis/clients';
import { TEST_REDIS_URL } from '../helpers/env';
import { startTestServer, type TestServer } from '../helpers/server';
import { until } from '../helpers/until';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer({ label: 'cache_keys', redis: true });
  admin = await server.login(1);
});
afterAll(() => server?.stop());

const settled = () => server.app.cacheLayer.cache!.settled();

describe('ids with leading zeros', () => {
  it('a list filtered by category "01" shows a product moved into category 1', async () => {
    const list = 'query ($c: ID!) { products(first: 100, filter: { categoryId: $c }) { edges { node { id } } } }';
    const ids = async (c: string) =>
      ((await server.request(list, { c })).body.data.products.edges as { node: { id: string } }[]).map((e) => e.node.id);
    const moving = server.dataset.products.find((p) => p.categoryId !== 1)!;
    expect(await ids('01')).not.toContain(String(moving.id));
    await settled();
    const moved = await server.request(
      'mutation ($id: ID!) { updateProduct(id: $id, input: { categoryId: "1" }) { id } }',
      { id: String(moving.id) },
      { token: admin },
    );
    expect(moved.body.errors).toBeUndefined();
    expect(await ids('01')).toContain(String(moving.id));
    expect(await ids('001')).toEqual(await ids('1'));
  });

  it('"01" and "1" share one entry', async () => {
    await server.request('{ products(first: 4, filter: { categoryId: "2" }) { edges { node { id } } } }');
    await settled();
    const sql = await server.countSql(() =>
      server.request('{ products(first: 4, filter: { categoryId: "02" }) { edges { node { id name } } } }'),
    );
    expect(sql).toBe(0);
  });
});

describe('equivalent arguments', () => {
  it.each([
    ['after: null', '{ products(first: 6) { edges { node { id } } } }', '{ products(first: 6, after: null) { edges { node { id name } } } }'],
    ['filter: {}', '{ products(first: 7) { edges { node { id } } } }', '{ products(first: 7, filter: {}) { edges { node { id name } } } }'],
    [
      'a filter of nulls',
      '{ products(first: 8) { edges { node { id } } } }',
      '{ products(first: 8, filter: { search: null, categoryId: null }) { edges { node { id name } } } }',
    ],
    [
      'untrimmed text',
      '{ products(first: 9, filter: { search: "a" }) { edges { node { id } } } }',
      '{ products(first: 9, filter: { search: "  a " }) { edges { node { id name } } } }',
    ],
  ])('%s reads what the plain request cached, without SQL', async (_name, plain, spelt) => {
    const first = await server.request(plain);
    expect(first.body.errors).toBeUndefined();
    await settled();
    let second: any;
    const sql = await server.countSql(async () => {
      second = await server.request(spelt);
    });
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data.products.edges.map((e: any) => e.node.id)).toEqual(first.body.data.products.edges.map((e: any) => e.node.id));
    expect(sql).toBe(0);
  });
});

describe('the whole-response key', () => {
  it('is the parsed document: layout and comments do not make another entry', async () => {
    const compact = '{ categories { id name } products(first: 2) { edges { node { id } } } }';
    const spaced = `
      # the same request, laid out by hand
      {
        categories { id, name }
        products(first: 2) { edges { node { id } } }
      }`;
    await server.request(compact);
    await settled();
    const cache = server.app.cacheLayer.cache!;
    const lookupsBefore = cache.counters.hits;
    const second = await server.request(spaced);
    // A whole-response hit: one lookup, answered before execution (no development summary).
    expect(cache.counters.hits - lookupsBefore).toBe(1);
    expect(second.body.extensions).toBeUndefined();
  });
});

describe('a rolling deploy', () => {
  it('instances of two schema shapes keep their own entries, and a write on either ends both', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const client = createCacheClient({ url: TEST_REDIS_URL });
    try {
      const oldShape = new TwoTierCache({ keys: new KeySpace(prefix, 0, 'aaaa0000'), redis: client });
      const newShape = new TwoTierCache({ keys: new KeySpace(prefix, 0, 'bbbb1111'), redis: client });
      await until(() => client.status === 'ready');
      const keyOf = (cache: TwoTierCache) => cache.keys.entity('Product', 1);
      expect(keyOf(oldShape)).not.toBe(keyOf(newShape));
      for (const cache of [oldShape, newShape]) {
        const { token } = await cache.lookup('Product', [keyOf(cache)], ['Product:1']);
        await cache.fill([{ key: keyOf(cache), value: { price: 1 }, tags: ['Product:1'], lifetime: { ttl: 60, staleWhileRevalidate: 0 }, checkTags: ['Product:1'] }], token);
      }
      // Fresh instances of each shape (empty L1s) are served the entries from Redis...
      const reader = (shape: string) => new TwoTierCache({ keys: new KeySpace(prefix, 0, shape), redis: client });
      const served = async (shape: string) => {
        const cache = reader(shape);
        return (await cache.lookup('Product', [keyOf(cache)], ['Product:1'])).entries[0]?.value;
      };
      expect(await served('aaaa0000')).toEqual({ price: 1 });
      expect(await served('bbbb1111')).toEqual({ price: 1 });
      // ...until a write on either shape moves the tag both recorded.
      await newShape.invalidate(['Product:1']);
      expect(await served('aaaa0000')).toBeUndefined();
      expect(await served('bbbb1111')).toBeUndefined();
    } finally {
      client.disconnect();
    }
  });

  it('the API names tags, versions and its invalidation channel after CACHE_KEY_PREFIX alone', () => {
    const keys = server.app.cacheLayer.cache!.keys;
    expect(keys.prefix).toBe(server.config.cacheKeyPrefix);
    expect(keys.shape).toMatch(/^[0-9a-f]{8}$/);
    expect(keys.tagVersion('Product:1')).toBe(`${server.config.cacheKeyPrefix}:tv:Product:1`);
  });
});
