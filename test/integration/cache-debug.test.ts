/**
 * The cache debugger: `x-cache-debug: 1` puts in `extensions.cacheDebug`, per cached field and
 * entity of the answer (and the whole response), its key, tier, tags, TTL left, and why it was
 * not stored; outside production for anyone, in production for an ADMIN only.
 */
import { randomBytes } from 'node:crypto';
import { CacheDebug, type CacheDebugRecord } from '../../src/cache/cache-debug';
import { KeySpace } from '../../src/cache/keys';
import { newRequestScope, withRequestScope } from '../../src/cache/request-scope';
import { TwoTierCache } from '../../src/cache/two-tier-cache';
import { createCacheClient } from '../../src/redis/clients';
import { benchDocument } from '../helpers/documents';
import { TEST_REDIS_URL } from '../helpers/env';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';
import { until } from '../helpers/until';

let a: TestServer;
let b: TestInstance;

beforeAll(async () => {
  a = await startTestServer({ label: 'cache_debug', redis: true });
  b = await a.startInstance();
});
afterAll(() => a?.stop());

const DEBUG = { headers: { 'x-cache-debug': '1' } };
const PRODUCT_PAGE = benchDocument('product-page');

function entriesOf(response: { body: { extensions?: Record<string, any> } }): CacheDebugRecord[] {
  return response.body.extensions!.cacheDebug.entries as CacheDebugRecord[];
}

describe('what a request sees', () => {
  it('nothing without the header', async () => {
    const response = await a.request(PRODUCT_PAGE, { id: '31' });
    expect(response.body.extensions?.cacheDebug).toBeUndefined();
  });

  it('a cold page: every entry computed and stored, with its key, tags and TTL', async () => {
    const response = await a.request(PRODUCT_PAGE, { id: '32' }, DEBUG);
    expect(response.body.errors).toBeUndefined();
    const entries = entriesOf(response);
    const product = entries.find((e) => e.source === 'Product' && e.key!.endsWith(':Product:32'))!;
    expect(product).toMatchObject({ tier: 'computed', tags: ['Product:32'], ttlLeftSeconds: 300 });
    expect(product.stored).toMatch(/^L1/);
    const rating = entries.find((e) => e.source === 'Product.averageRating')!;
    expect(rating).toMatchObject({ tier: 'computed', tags: expect.arrayContaining(['Product:32:reviews']) });
    const whole = entries.find((e) => e.source === 'response')!;
    expect(whole.tier).toBe('computed');
    // The response is filed under everything it was built from.
    expect(whole.tags).toEqual(expect.arrayContaining(['Product:32', 'Product:32:reviews']));
    expect(response.body.extensions!.cacheDebug.summary.computed).toBe(entries.filter((e) => e.tier === 'computed').length);
  });

  it('the same page from Redis on another instance, then from L1, with the TTL it has left', async () => {
    await a.app.cacheLayer.cache!.settled();
    const fromRedis = entriesOf(await b.request(PRODUCT_PAGE, { id: '32' }, DEBUG));
    // A whole-response hit: nothing below it was looked up.
    expect(fromRedis).toEqual([expect.objectContaining({ source: 'response', tier: 'Redis' })]);
    expect(fromRedis[0]!.ttlLeftSeconds).toBeGreaterThan(0);
    expect(fromRedis[0]!.ttlLeftSeconds).toBeLessThanOrEqual(300);
    const fromL1 = entriesOf(await b.request(PRODUCT_PAGE, { id: '32' }, DEBUG));
    expect(fromL1).toEqual([expect.objectContaining({ source: 'response', tier: 'L1' })]);
  });

  it('after a write: the response and the changed entity computed again, the rest from the cache', async () => {
    const admin = await a.login(1);
    await a.request(benchDocument('update-price'), { id: '32', priceCents: 777 }, { token: admin });
    const entries = entriesOf(await b.request(PRODUCT_PAGE, { id: '32' }, DEBUG));
    const tierOf = (predicate: (e: CacheDebugRecord) => boolean) => entries.find(predicate)?.tier;
    expect(tierOf((e) => e.source === 'response')).toBe('computed');
    expect(tierOf((e) => e.source === 'Product' && e.key!.endsWith(':Product:32'))).toBe('computed');
    // The reviews did not change: still cached (the ratings and the review list come from Redis here).
    expect(tierOf((e) => e.source === 'Product.averageRating')).toBe('Redis');
  });

  it('why not stored: a PRIVATE field without a user, an answer with errors', async () => {
    const anonymous = entriesOf(await a.request('{ me { id } }', {}, DEBUG));
    expect(anonymous).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'response', tier: 'bypassed', key: null, notStored: expect.stringMatching(/PRIVATE/) }),
        expect.objectContaining({ source: 'Query.me', tier: 'bypassed', notStored: expect.stringMatching(/PRIVATE/) }),
      ]),
    );
    const missing = await a.request('{ product(id: "999999") { id } }', {}, DEBUG);
    expect(missing.body.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect(entriesOf(missing).find((e) => e.source === 'response')!.notStored).toMatch(/errors/);
  });

  it('a signed-in user sees their PRIVATE entries keyed by user', async () => {
    const token = await a.login(3);
    const entries = entriesOf(await a.request(benchDocument('me'), {}, { token, ...DEBUG }));
    const me = entries.find((e) => e.source === 'Query.me')!;
    expect(me.tier).toBe('computed');
    expect(me.key).toMatch(/:u3$/);
  });
});

describe('a fill refused because a write overtook it', () => {
  it('says so', async () => {
    const client = createCacheClient({ url: TEST_REDIS_URL });
    try {
      const cache = new TwoTierCache({ keys: new KeySpace(`t${randomBytes(4).toString('hex')}`, 0), redis: client });
      await until(() => client.status === 'ready');
      const scope = newRequestScope('debug-test');
      scope.debug = new CacheDebug();
      await withRequestScope(scope, async () => {
        const key = cache.keys.entity('Product', 1);
        const { token } = await cache.lookup('Product', [key], ['Product:1']);
        // A write lands between the lookup and the fill.
        await cache.invalidate(['Product:1']);
        await cache.fill([{ key, value: { id: 1 }, tags: ['Product:1'], lifetime: { ttl: 60, staleWhileRevalidate: 0 }, checkTags: ['Product:1'] }], token);
      });
      expect(scope.debug.toJSON().entries).toEqual([
        expect.objectContaining({ source: 'Product', tier: 'computed', notStored: expect.stringMatching(/^refused: a write invalidated/) }),
      ]);
    } finally {
      client.disconnect();
    }
  });
});

describe('in production', () => {
  let production: TestInstance;
  beforeAll(async () => {
    production = await a.startInstance({ NODE_ENV: 'production', LOG_LEVEL: 'silent' });
  });

  it('is refused, with the reason, to anyone but an ADMIN', async () => {
    const customer = await production.login(4);
    for (const token of [undefined, customer]) {
      const response = await production.request(PRODUCT_PAGE, { id: '33' }, { token, ...DEBUG });
      expect(response.body.data.product.id).toBe('33');
      expect(response.body.extensions!.cacheDebug).toEqual({ refused: expect.stringMatching(/ADMIN/) });
    }
  });

  it('is given to an ADMIN', async () => {
    const admin = await production.login(1);
    const response = await production.request(PRODUCT_PAGE, { id: '33' }, { token: admin, ...DEBUG });
    expect(entriesOf(response).length).toBeGreaterThan(0);
  });
});
