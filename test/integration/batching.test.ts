/**
 * No N+1: every document of the workload contract sends a fixed, small number of SQL
 * statements, whatever the page size. Counted at the driver, so nothing can hide.
 */
import { benchDocument } from '../helpers/documents';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  // The cache off: these tests count what the loaders themselves send to the database.
  server = await startTestServer({ label: 'batching', config: { CACHE_ENABLED: 'false' } });
});
afterAll(() => server?.stop());

describe('SQL statements per request', () => {
  it('catalog.graphql with 50 products sends exactly 5 statements', async () => {
    let body: any;
    const statements = await server.countSql(async () => {
      const response = await server.request(benchDocument('catalog'));
      body = response.body;
    });
    expect(body.errors).toBeUndefined();
    const edges = body.data.products.edges;
    expect(edges).toHaveLength(50);
    // Products, categories, rating aggregates, top-3 reviews per product, review authors.
    expect(statements).toBe(5);
    // The page really has nested data, so the count covers real loads.
    expect(edges.some((e: any) => e.node.reviews.edges.length === 3)).toBe(true);
    expect(edges.every((e: any) => e.node.category.name)).toBe(true);
  });

  it('the statement count does not grow from 10 to 50 products', async () => {
    const counts: number[] = [];
    for (const first of [10, 50]) {
      counts.push(await server.countSql(() => server.request(benchDocument('catalog'), { first })));
    }
    expect(counts[0]).toBe(counts[1]);
  });

  it('catalog.graphql filtered by category and paged by cursor keeps the same count', async () => {
    const first = await server.request(benchDocument('catalog'), { first: 5, categoryId: '2' });
    const after = first.body.data.products.pageInfo.endCursor;
    let second: any;
    const statements = await server.countSql(async () => {
      second = await server.request(benchDocument('catalog'), { first: 5, categoryId: '2', after });
    });
    expect(statements).toBe(5);
    const firstIds = first.body.data.products.edges.map((e: any) => e.node.id);
    const secondIds = second.body.data.products.edges.map((e: any) => e.node.id);
    expect(secondIds.length).toBeGreaterThan(0);
    expect(secondIds.some((id: string) => firstIds.includes(id))).toBe(false);
    expect(second.body.data.products.edges.every((e: any) => e.node.category.id === '2')).toBe(true);
  });

  it('product-page.graphql sends exactly 5 statements', async () => {
    // Product 1 of the demo set has reviews, so every nested list is exercised.
    const reviewed = server.dataset.reviews[0]!.productId;
    let body: any;
    const statements = await server.countSql(async () => {
      body = (await server.request(benchDocument('product-page'), { id: String(reviewed) })).body;
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.product.reviews.edges.length).toBeGreaterThan(0);
    expect(body.data.product.reviews.totalCount).toBe(body.data.product.reviewCount);
    // Product, category, review aggregates, reviews page, authors.
    expect(statements).toBe(5);
  });

  it('me.graphql sends exactly 5 statements', async () => {
    const userId = server.dataset.orders[0]!.userId;
    const token = await server.login(userId);
    let body: any;
    const statements = await server.countSql(async () => {
      body = (await server.request(benchDocument('me'), {}, { token })).body;
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.me.orders.edges.length).toBeGreaterThan(0);
    // Session, user, orders page, order items, products.
    expect(statements).toBe(5);
  });
});
