/**
 * Stampedes: many concurrent requests for one cold key run its loads once, and a stale entry
 * is served while a single caller refreshes it.
 */
import { benchDocument } from '../helpers/documents';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'stampede', redis: true });
});
afterAll(() => server?.stop());

/** Products with reviews, so a product page exercises every nested list. */
function reviewedProducts(): string[] {
  const counts = new Map<number, number>();
  for (const review of server.dataset.reviews) counts.set(review.productId, (counts.get(review.productId) ?? 0) + 1);
  return [...counts.entries()].filter(([, n]) => n >= 3).map(([id]) => String(id));
}

describe('100 concurrent identical requests on a cold key', () => {
  it('send the statements of one cold request, not 100 times as many', async () => {
    const [first, second] = reviewedProducts();
    const single = await server.countSql(() => server.request(benchDocument('product-page'), { id: first }));
    expect(single).toBeGreaterThan(0);

    const statements: string[] = [];
    const off = server.database.sql.onStatement((sql) => statements.push(sql));
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => server.request(benchDocument('product-page'), { id: second })),
    );
    off();
    for (const response of responses) {
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.product.id).toBe(second);
    }
    // Identical answers for all 100.
    expect(new Set(responses.map((r) => JSON.stringify(r.body.data))).size).toBe(1);
    expect(statements).toHaveLength(single);
    // In particular, one statement for the product itself.
    expect(statements.filter((sql) => /from "product"/.test(sql))).toHaveLength(1);
  });
});

describe('a cold list page asked on two instances at once', () => {
  it('is computed by one instance; the other waits for its entry', async () => {
    const other = await server.startInstance();
    const page = '{ products(first: 20, orderBy: PRICE_DESC) { edges { node { id priceCents } } } }';
    const listQueries: string[] = [];
    const watch = (sql: string) => {
      if (/order by "p"."price_cents" desc/.test(sql)) listQueries.push(sql);
    };
    const offA = server.database.sql.onStatement(watch);
    const offB = other.database.sql.onStatement(watch);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? other : server).request(page)),
    );
    offA();
    offB();
    for (const answer of answers) expect(answer.body.data).toEqual(answers[0]!.body.data);
    expect(listQueries).toHaveLength(1);
  });
});

describe('stale-while-revalidate', () => {
  it('serves a stale page at once and refreshes it with one computation', async () => {
    // Query.products has ttl 60 and staleWhileRevalidate 30: age the entries past their TTL.
    const cache = server.app.cacheLayer.cache!;
    const page = '{ products(first: 3, orderBy: NAME_ASC) { edges { node { id name } } } }';
    const first = await server.request(page);
    await cache.settled();
    const realNow = Date.now;
    try {
      Date.now = () => realNow() + 70_000;
      const statements: string[] = [];
      const off = server.database.sql.onStatement((sql) => statements.push(sql));
      const before = cache.counters.stale;
      const answers = await Promise.all(Array.from({ length: 10 }, () => server.request(page)));
      await cache.settled();
      off();
      for (const answer of answers) expect(answer.body.data).toEqual(first.body.data);
      // The first caller got the stale page; its one refresh made the page fresh for the rest.
      expect(cache.counters.stale - before).toBeGreaterThanOrEqual(1);
      expect(statements.filter((sql) => /order by "p"."name" asc/.test(sql))).toHaveLength(1);
    } finally {
      Date.now = realNow;
    }
  });
});
