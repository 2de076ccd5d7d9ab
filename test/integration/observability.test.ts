/**
 * Seeing the cache work: the per-request summary in `extensions.cache` (development only) and
 * the Prometheus metrics at /metrics.
 */
import { benchDocument } from '../helpers/documents';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'observability', redis: true });
});
afterAll(() => server?.stop());

describe('extensions.cache', () => {
  it('counts this request’s hits, misses, SQL statements and Redis round trips', async () => {
    const id = String(server.dataset.reviews[0]!.productId);
    let cold: any;
    const sql = await server.countSql(async () => {
      cold = (await server.request(benchDocument('product-page'), { id })).body;
    });
    expect(cold.extensions.cache.sqlStatements).toBe(sql);
    expect(cold.extensions.cache.misses).toBeGreaterThan(0);
    expect(cold.extensions.cache.hits).toBe(0);
    expect(cold.extensions.cache.redisRoundTrips).toBeGreaterThan(0);
    await server.app.cacheLayer.cache!.settled();

    // The same page asked a little differently: a new whole response built from cached parts.
    const variant = benchDocument('product-page').replace('product(id: $id) {', 'product(id: $id) { __typename');
    const warm: any = (await server.request(variant, { id })).body;
    expect(warm.extensions.cache).toEqual({ hits: expect.any(Number), misses: 1, stale: 0, sqlStatements: 0, redisRoundTrips: 1 });
    expect(warm.extensions.cache.hits).toBeGreaterThan(5);
  });

  it('is absent in production', async () => {
    const production = await server.startInstance({ NODE_ENV: 'production' });
    const body = (await production.request(benchDocument('catalog'))).body;
    expect(body.data.products.edges).toHaveLength(50);
    expect(body.extensions?.cache).toBeUndefined();
  });
});

describe('/metrics', () => {
  it('exposes cache, Redis, SQL, loader and invalidation figures in Prometheus text format', async () => {
    const admin = await server.login(1);
    // A page no instance has asked for yet, so its lookup is a miss here.
    await server.request('{ products(first: 7) { edges { node { id name averageRating } } } }');
    await server.request(benchDocument('update-price'), { id: '2', priceCents: 777 }, { token: admin });
    const response = await server.raw({ path: '/metrics' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/storefront_cache_lookups_total\{source="Product",tier="\w+",outcome="hit"\} [1-9]/);
    expect(text).toMatch(/storefront_cache_lookups_total\{source="Query.products",tier="none",outcome="miss"\} [1-9]/);
    expect(text).toMatch(/storefront_cache_field_seconds_count\{field="Product.averageRating",outcome="\w+"\} [1-9]/);
    expect(text).toMatch(/storefront_redis_round_trips_total\{command="mget"\} [1-9]/);
    expect(text).toMatch(/storefront_sql_statements_total [1-9]/);
    expect(text).toMatch(/storefront_loader_batch_size_count\{loader="Product"\} [1-9]/);
    // Latency per loader: its database loads, and its cache lookups by how Redis was used.
    expect(text).toMatch(/storefront_loader_load_seconds_count\{loader="Product"\} [1-9]/);
    expect(text).toMatch(/storefront_cache_lookup_seconds_count\{source="Product",redis="asked"\} [1-9]/);
    expect(text).toMatch(/storefront_cache_lookup_seconds_count\{source="Query.products",redis="asked"\} [1-9]/);
    expect(text).toMatch(/storefront_cache_invalidations_total\{event="published"\} [1-9]/);
    expect(text).toMatch(/storefront_cache_invalidations_total\{event="received"\} [1-9]/);
  });
});

describe('X-Request-Id', () => {
  it('names every answer, cached whole responses included, and keeps an id a proxy gave if it is safe to log', async () => {
    const first = await server.request(benchDocument('catalog'));
    await server.app.cacheLayer.cache!.settled();
    const hit = await server.request(benchDocument('catalog'));
    // Answered as ready bytes before Apollo: no execution, so no development summary.
    expect(hit.body.extensions).toBeUndefined();
    const ids = [first, hit].map((response) => response.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ids[0]).not.toBe(ids[1]);

    const given = await server.request('{ __typename }', undefined, { headers: { 'X-Request-Id': 'lb-2f1c.17:a_b' } });
    expect(given.headers.get('x-request-id')).toBe('lb-2f1c.17:a_b');
    // Spaces, newlines and overlong ids would reach the logs as the client wrote them: replaced.
    for (const unsafe of ['two words', 'x'.repeat(129), '{"level":60}']) {
      const replaced = await server.request('{ __typename }', undefined, { headers: { 'X-Request-Id': unsafe } });
      expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
