/**
 * Every paginated list, walked page by page as a frontend walks it (`first`, then each
 * `endCursor` as `after`), in every state the cache can be in: off, cold, warm in L1, warm in
 * Redis only, L1 without Redis, and with pages served by different instances in turn. Each walk
 * must serve every row exactly once, in the order the database gives (read here in plain SQL),
 * and every page must be exactly the database's keyset page. Then walks with writes between
 * pages, checked against what keyset paging promises.
 *
 * Once, with the cache on, page 2 of `products` failed: entities read by the cached loaders
 * carried PostgreSQL's text timestamps, so the cursors they gave were refused by the API that
 * issued them. These walks catch that kind of difference between cache states.
 */
import { benchDocument } from '../helpers/documents';
import {
  cacheOf,
  checkProductNodes,
  keysetViolations,
  newestChildrenQuery,
  Oracle,
  PRODUCT_NODE_FIELDS,
  productListQuery,
  repeated,
  walk,
  type Connection,
  type ListSpec,
  type ProductFilter,
  type ProductOrder,
} from '../helpers/paging';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';

let server: TestServer;
/** An instance with the cache off, on the same database. */
let off: TestInstance;
/** A second cache-on instance sharing server's Redis prefix, for the walks with writes. */
let peer: TestInstance;
let oracle: Oracle;
let adminToken: string;
/** The user with the most orders, and their token. */
let shopper: { userId: number; token: string };
/** The product with the most reviews, and the category with the most products. */
let reviewedProductId: number;
let fullestCategoryId: number;
/** The product with the most stock, which the orders placed here buy. */
let stockedProductId: number;
/** Plus `startCursor` and `hasPreviousPage` when PageInfo has them (the Relay work adds them). */
let pageInfoFields = 'hasNextPage endCursor';

// Entries may stay in L1 for the whole walk however slow the machine (the default is 30 s).
const L1_TTL = { CACHE_L1_MAX_TTL_MS: '600000' };
/**
 * Stops an instance this file started for one block, and makes the server's own stop of it at
 * the end a no-op: stopping an instance's Redis clients twice keeps the process alive a while.
 */
async function stopNow(instance: TestInstance | undefined): Promise<void> {
  if (!instance) return;
  const stop = instance.stop;
  instance.stop = async () => undefined;
  await stop();
}

let prefixes = 0;
/** A key prefix no other instance uses: an instance started with it finds L1 and Redis empty. */
const freshPrefix = () => `${server.config.cacheKeyPrefix}p${(prefixes += 1)}`;

const PLACE_ORDER = 'mutation ($items: [OrderLineInput!]!) { placeOrder(input: { items: $items }) { id } }';
const UPDATE_PRODUCT = 'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }';
const ADJUST_STOCK = 'mutation ($id: ID!, $delta: Int!) { adjustStock(id: $id, delta: $delta) { id } }';
const CREATE_PRODUCT = 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }';

beforeAll(async () => {
  server = await startTestServer({ label: 'paging', redis: true, config: L1_TTL });
  off = await server.startInstance({ CACHE_ENABLED: 'false' });
  peer = await server.startInstance();
  oracle = new Oracle(server.config.databaseUrl!);
  adminToken = await server.login(1);

  const introspection = await server.request('{ __type(name: "PageInfo") { fields { name } } }');
  const names: string[] = introspection.body.data.__type.fields.map((f: { name: string }) => f.name);
  for (const optional of ['startCursor', 'hasPreviousPage']) if (names.includes(optional)) pageInfoFields += ` ${optional}`;

  const [reviewed] = await oracle.query<{ id: number }>('select product_id as id from review group by product_id order by count(*) desc, product_id limit 1');
  reviewedProductId = reviewed!.id;
  const [fullest] = await oracle.query<{ id: number }>('select category_id as id from product group by category_id order by count(*) desc, category_id limit 1');
  fullestCategoryId = fullest!.id;

  // The customer with the most orders gets a few more, so their list spans several pages.
  const [buyer] = await oracle.query<{ id: number }>(
    `select o.user_id as id from customer_order o join app_user u on u.id = o.user_id
     where u.role = 'CUSTOMER' group by o.user_id order by count(*) desc, o.user_id limit 1`,
  );
  shopper = { userId: buyer!.id, token: await server.login(buyer!.id) };
  const [stocked] = await oracle.query<{ id: number }>('select id from product order by stock desc, id limit 1');
  stockedProductId = stocked!.id;
  for (let i = 0; i < 6; i += 1) {
    const placed = await server.request(PLACE_ORDER, { items: [{ productId: String(stockedProductId), quantity: 1 }] }, { token: shopper.token });
    expect(placed.body.errors).toBeUndefined();
  }
});

afterAll(async () => {
  await oracle?.end();
  await server?.stop();
});

const productsDocument = () => `query Products($first: Int, $after: String, $orderBy: ProductOrder, $filter: ProductFilter) {
  products(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {
    edges { cursor node { ${PRODUCT_NODE_FIELDS} sku averageRating reviewCount category { name } } }
    pageInfo { ${pageInfoFields} }
  }
}`;

const categoryProductsDocument = () => `query CategoryProducts($id: ID!, $first: Int, $after: String, $orderBy: ProductOrder) {
  category(id: $id) {
    id
    products(first: $first, after: $after, orderBy: $orderBy) {
      edges { cursor node { ${PRODUCT_NODE_FIELDS} } }
      pageInfo { ${pageInfoFields} }
    }
  }
}`;

const reviewsDocument = () => `query Reviews($id: ID!, $first: Int, $after: String) {
  product(id: $id) {
    id
    reviews(first: $first, after: $after) {
      totalCount
      edges { cursor node { id rating body createdAt author { id name } } }
      pageInfo { ${pageInfoFields} }
    }
  }
}`;

const ordersDocument = () => `query MyOrders($first: Int, $after: String) {
  me {
    id
    orders(first: $first, after: $after) {
      edges { cursor node { id status totalCents createdAt items { quantity product { id name } } } }
      pageInfo { ${pageInfoFields} }
    }
  }
}`;

/** `products` through the workload's own catalog document (NEWEST, optionally one category). */
function catalogSpec(categoryId?: string): ListSpec {
  return {
    label: categoryId ? `catalog.graphql, category ${categoryId}` : 'catalog.graphql',
    document: benchDocument('catalog'),
    variables: categoryId ? { categoryId } : {},
    connection: (data) => data.products,
    query: productListQuery('NEWEST', categoryId ? { categoryId } : {}),
  };
}

function productsSpec(orderBy: ProductOrder, filter: ProductFilter = {}): ListSpec {
  return {
    label: `products(orderBy: ${orderBy}, filter: ${JSON.stringify(filter)})`,
    document: productsDocument(),
    variables: { orderBy, filter },
    connection: (data) => data.products,
    query: productListQuery(orderBy, filter),
  };
}

function categoryProductsSpec(orderBy: ProductOrder, categoryId = fullestCategoryId): ListSpec {
  return {
    label: `category(${categoryId}).products(orderBy: ${orderBy})`,
    document: categoryProductsDocument(),
    variables: { id: String(categoryId), orderBy },
    connection: (data) => data.category.products,
    query: productListQuery(orderBy, { categoryId: String(categoryId) }),
  };
}

function reviewsSpec(productId = reviewedProductId): ListSpec {
  return {
    label: `product(${productId}).reviews`,
    document: reviewsDocument(),
    variables: { id: String(productId) },
    connection: (data) => data.product.reviews,
    query: newestChildrenQuery('review', 'product_id', productId),
  };
}

function ordersSpec(): ListSpec {
  return {
    label: `me.orders (user ${shopper.userId})`,
    document: ordersDocument(),
    connection: (data) => data.me.orders,
    query: newestChildrenQuery('customer_order', 'user_id', shopper.userId),
    token: shopper.token,
  };
}

const isProductList = (spec: ListSpec) => spec.query.table === 'product';

/** Walks `spec` on `instances` in turn and checks every page and the whole against the database. */
async function walkAndCompare(spec: ListSpec, first: number, ...instances: TestInstance[]): Promise<number[]> {
  const expected = (await oracle.list(spec.query)).map((r) => r.id);
  // A list that fits one page would not test paging; the walk must also end on a short page.
  expect(expected.length).toBeGreaterThan(first);
  const { ids, pages } = await walk(spec, {
    first,
    serve: (index) => instances[index % instances.length]!,
    oracle,
    maxPages: Math.ceil(expected.length / first) + 2,
    checkNodes: isProductList(spec) ? checkProductNodes : undefined,
  });
  expect(repeated(ids)).toEqual(new Map());
  expect(ids).toEqual(expected);
  expect(pages).toHaveLength(Math.ceil(expected.length / first));
  return ids;
}

/** SQL statements `instance` sent while walking `spec` once (checked as above). */
async function sqlOfWalk(instance: TestInstance, spec: ListSpec, first: number): Promise<number> {
  return instance.countSql(() => walkAndCompare(spec, first, instance));
}

interface ListCase {
  label: string;
  first: number;
  spec: () => ListSpec;
}

const LISTS: ListCase[] = [
  { label: 'products, NEWEST (catalog.graphql), 200 rows by 7', first: 7, spec: () => catalogSpec() },
  { label: 'products, PRICE_ASC, by 7', first: 7, spec: () => productsSpec('PRICE_ASC') },
  { label: 'products, PRICE_DESC, by 7', first: 7, spec: () => productsSpec('PRICE_DESC') },
  { label: 'products, NAME_ASC, by 7', first: 7, spec: () => productsSpec('NAME_ASC') },
  { label: 'products, category filter (catalog.graphql), by 7', first: 7, spec: () => catalogSpec(String(fullestCategoryId)) },
  { label: 'products, search "lamp", PRICE_DESC, by 3', first: 3, spec: () => productsSpec('PRICE_DESC', { search: 'lamp' }) },
  {
    label: 'products, price 10000..25000, NEWEST, by 7',
    first: 7,
    spec: () => productsSpec('NEWEST', { minPriceCents: 10_000, maxPriceCents: 25_000 }),
  },
  {
    label: 'products, category + min price, NAME_ASC, by 1',
    first: 1,
    spec: () => productsSpec('NAME_ASC', { categoryId: String(fullestCategoryId), minPriceCents: 25_000 }),
  },
  { label: 'Category.products, NEWEST, by 4', first: 4, spec: () => categoryProductsSpec('NEWEST') },
  { label: 'Category.products, PRICE_ASC, by 4', first: 4, spec: () => categoryProductsSpec('PRICE_ASC') },
  { label: 'Category.products, PRICE_DESC, by 4', first: 4, spec: () => categoryProductsSpec('PRICE_DESC') },
  { label: 'Category.products, NAME_ASC, by 4', first: 4, spec: () => categoryProductsSpec('NAME_ASC') },
  { label: 'Product.reviews, by 3', first: 3, spec: () => reviewsSpec() },
  { label: 'Product.reviews, by 1', first: 1, spec: () => reviewsSpec() },
  { label: 'User.orders (me), by 3', first: 3, spec: () => ordersSpec() },
  { label: 'User.orders (me), by 1', first: 1, spec: () => ordersSpec() },
];

describe.each(LISTS)('$label', ({ first, spec: specOf }) => {
  let spec: ListSpec;
  /** A fresh instance on a fresh key prefix: cold in L1 and in Redis. */
  let cold: TestInstance;
  /** Another instance on the same prefix that serves nothing until its L1-empty walk. */
  let redisOnly: TestInstance;
  /** Cache on, no REDIS_URL: the in-process tier alone. */
  let l1Only: TestInstance;

  beforeAll(async () => {
    spec = specOf();
    const prefix = freshPrefix();
    cold = await server.startInstance({ CACHE_KEY_PREFIX: prefix });
    redisOnly = await server.startInstance({ CACHE_KEY_PREFIX: prefix });
    l1Only = await server.startInstance({ REDIS_URL: '' });
  });
  afterAll(async () => {
    for (const instance of [cold, redisOnly, l1Only]) await stopNow(instance);
  });

  /** Whether `cold` has walked the list (so the next tests find it warm, even run alone). */
  let warmed = false;
  async function warmUp(): Promise<void> {
    if (!warmed) await walkAndCompare(spec, first, cold);
    warmed = true;
  }

  it('(a) cache off: every row once, in the database order', async () => {
    await walkAndCompare(spec, first, off);
  });

  it('(b) cold cache, Redis on: the same rows in the same order', async () => {
    expect(warmed).toBe(false);
    expect(await sqlOfWalk(cold, spec, first)).toBeGreaterThan(0);
    warmed = true;
  });

  it('(c) warm in L1: the walk again on the same instance costs no SQL and no Redis', async () => {
    await warmUp();
    await cacheOf(cold).settled();
    const redisBefore = cacheOf(cold).counters.redisRoundTrips;
    expect(await sqlOfWalk(cold, spec, first)).toBe(0);
    expect(cacheOf(cold).counters.redisRoundTrips - redisBefore).toBe(0);
  });

  it('(d) warm in Redis only: an instance with an empty L1 walks it with no SQL', async () => {
    await warmUp();
    await cacheOf(cold).settled();
    const redisBefore = cacheOf(redisOnly).counters.redisRoundTrips;
    const hitsBefore = cacheOf(redisOnly).counters.hits;
    expect(await sqlOfWalk(redisOnly, spec, first)).toBe(0);
    // Its L1 was empty: everything came from Redis.
    expect(cacheOf(redisOnly).counters.redisRoundTrips - redisBefore).toBeGreaterThan(0);
    expect(cacheOf(redisOnly).counters.hits - hitsBefore).toBeGreaterThan(0);
  });

  it('(e) L1 only (cache on, no REDIS_URL): cold, then warm with no SQL', async () => {
    expect(l1Only.config.cacheEnabled).toBe(true);
    expect(l1Only.config.redisUrl).toBeUndefined();
    expect(await sqlOfWalk(l1Only, spec, first)).toBeGreaterThan(0);
    await cacheOf(l1Only).settled();
    expect(await sqlOfWalk(l1Only, spec, first)).toBe(0);
  });

  it('(g) each page from another instance: cursors of every cache state are accepted by every other', async () => {
    // Cache off, a warm instance, an instance warm in Redis, the L1-only one, and the main
    // server (cold for this list on its own prefix): a cursor issued by any goes to the next.
    await walkAndCompare(spec, first, off, cold, redisOnly, l1Only, server);
  });
});

describe('page sizes at the edges', () => {
  it('first: 0 answers no edges, a null endCursor, and whether the list has rows, in every cache state', async () => {
    const l1Only = await server.startInstance({ REDIS_URL: '' });
    try {
      const specs = [catalogSpec(), productsSpec('PRICE_ASC', { search: 'lamp' }), productsSpec('NEWEST', { search: 'no such product' }), reviewsSpec(), ordersSpec()];
      for (const spec of specs) {
        const nonEmpty = (await oracle.list(spec.query)).length > 0;
        // A cursor from a real page: `first: 0` after it must be just as empty.
        const firstPage = await server.request(spec.document, { ...spec.variables, first: 1 }, spec.token ? { token: spec.token } : {});
        const cursor = spec.connection(firstPage.body.data).pageInfo.endCursor;
        for (const instance of [off, server, peer, l1Only, server]) {
          for (const after of [null, cursor]) {
            const response = await instance.request(spec.document, { ...spec.variables, first: 0, after }, spec.token ? { token: spec.token } : {});
            expect(response.body.errors).toBeUndefined();
            const connection: Connection = spec.connection(response.body.data);
            expect(connection.edges).toEqual([]);
            expect(connection.pageInfo.endCursor).toBeNull();
            if (after === null) expect(connection.pageInfo.hasNextPage).toBe(nonEmpty);
          }
        }
      }
    } finally {
      await stopNow(l1Only);
    }
  });

  it('first above 100 or below 0 is refused with BAD_USER_INPUT naming "first", whatever the cache', async () => {
    for (const instance of [off, server]) {
      for (const first of [-1, 101]) {
        for (const spec of [catalogSpec(), categoryProductsSpec('NEWEST'), reviewsSpec(), ordersSpec()]) {
          const response = await instance.request(spec.document, { ...spec.variables, first }, spec.token ? { token: spec.token } : {});
          expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
        }
      }
    }
  });

  it('first: 100 walks the whole catalog in two pages, cold and warm', async () => {
    const instance = await server.startInstance({ CACHE_KEY_PREFIX: freshPrefix() });
    try {
      const spec = productsSpec('NEWEST');
      const expected = (await oracle.list(spec.query)).map((r) => r.id);
      for (let round = 0; round < 2; round += 1) {
        const { ids, pages } = await walk(spec, { first: 100, serve: () => instance, oracle, maxPages: 5 });
        expect(ids).toEqual(expected);
        expect(pages.length).toBe(Math.ceil(expected.length / 100));
        await cacheOf(instance).settled();
      }
    } finally {
      await stopNow(instance);
    }
  });
});

/**
 * Writes between pages. Each page must still be exactly the database's keyset page at the
 * moment it is served (after the cursor the previous page gave), with every field as the
 * database holds it then; over the walk, rows no write moved come exactly once, and only rows a
 * write moved may come twice or not at all. Pages alternate between two cache-on instances
 * sharing Redis, and the writes go through either, so each read follows writes made elsewhere.
 */
describe('(f) writes between pages', () => {
  const skuSuffix = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

  async function mutate(instance: TestInstance, document: string, variables: Record<string, unknown>, token = adminToken) {
    const response = await instance.request(document, variables, { token });
    expect(response.body.errors).toBeUndefined();
    return response.body.data;
  }

  const setPrice = (instance: TestInstance, id: number, priceCents: number) =>
    mutate(instance, UPDATE_PRODUCT, { id: String(id), input: { priceCents } });
  const moveCategory = (instance: TestInstance, id: number, categoryId: number) =>
    mutate(instance, UPDATE_PRODUCT, { id: String(id), input: { categoryId: String(categoryId) } });
  const rename = (instance: TestInstance, id: number, name: string) => mutate(instance, UPDATE_PRODUCT, { id: String(id), input: { name } });
  const adjustStock = (instance: TestInstance, id: number, delta: number) => mutate(instance, ADJUST_STOCK, { id: String(id), delta });
  const createProduct = async (instance: TestInstance, fields: { name: string; priceCents: number; categoryId: number }) =>
    Number(
      (
        await mutate(instance, CREATE_PRODUCT, {
          input: { sku: `PAGING-${skuSuffix()}`, name: fields.name, priceCents: fields.priceCents, stock: 5, categoryId: String(fields.categoryId) },
        })
      ).createProduct.id,
    );

  /**
   * Walks `spec` on the main server and its peer in turn; `writes[i]` runs after page i and
   * returns the ids it moved. Checks each page against the database and the walk against
   * `keysetViolations`; returns the ids served and the ids moved.
   */
  async function walkWithWrites(
    spec: ListSpec,
    first: number,
    writes: Record<number, (seen: number[], unseen: number[]) => Promise<number[]>>,
  ): Promise<{ served: number[]; moved: Set<number>; atStart: number[] }> {
    // Warm both instances' caches first, so the walk reads cached pages that writes must drop.
    for (const instance of [server, peer]) await walk(spec, { first, serve: () => instance, maxPages: 100 });
    await Promise.all([cacheOf(server).settled(), cacheOf(peer).settled()]);

    const atStart = (await oracle.list(spec.query)).map((r) => r.id);
    const moved = new Set<number>();
    const { ids } = await walk(spec, {
      first,
      serve: (index) => (index % 2 === 0 ? server : peer),
      oracle,
      maxPages: Math.ceil(atStart.length / first) + Object.keys(writes).length + 3,
      checkNodes: isProductList(spec) ? checkProductNodes : undefined,
      between: async (index, walked) => {
        const write = writes[index];
        if (!write) return;
        const seen = walked.flatMap((p) => p.ids);
        const now = (await oracle.list(spec.query)).map((r) => r.id);
        const unseen = now.filter((id) => !seen.includes(id));
        for (const id of await write(seen, unseen)) moved.add(id);
      },
    });
    expect(keysetViolations(atStart, ids, moved)).toEqual([]);
    return { served: ids, moved, atStart };
  }

  it('catalog.graphql, NEWEST: price, stock, name and category changes and a new product between pages', async () => {
    let created = 0;
    const { served, atStart } = await walkWithWrites(catalogSpec(), 7, {
      0: async (seen) => {
        await setPrice(peer, seen[2]!, 4242);
        return [];
      },
      1: async () => {
        created = await createProduct(server, { name: 'Paging Newest', priceCents: 999, categoryId: 1 });
        return [created];
      },
      2: async (_seen, unseen) => {
        await adjustStock(peer, unseen[3]!, 2);
        await rename(server, unseen[5]!, 'Renamed Between Pages');
        return [];
      },
      // Not in the catalog's filter, and NEWEST does not sort by category: nothing moves.
      3: async (_seen, unseen) => {
        await moveCategory(server, unseen[1]!, fullestCategoryId === 1 ? 2 : 1);
        return [];
      },
    });
    // The new product sorts before every cursor of the walk: keyset paging never shows it.
    expect(served).not.toContain(created);
    expect(served).toHaveLength(atStart.length);
  });

  it('products PRICE_ASC: prices moved forward, backward and across the cursor', async () => {
    let raised = 0;
    let lowered = 0;
    let expensive = 0;
    const { served } = await walkWithWrites(productsSpec('PRICE_ASC'), 7, {
      // A row already served now sorts after the cursor: it comes again, at its new price.
      0: async (seen) => {
        raised = seen[1]!;
        await setPrice(server, raised, 60_000);
        return [raised];
      },
      // A row not yet served now sorts before the cursor: it is never served.
      1: async (_seen, unseen) => {
        lowered = unseen[unseen.length - 1]!;
        await setPrice(peer, lowered, 0);
        return [lowered];
      },
      2: async () => {
        expensive = await createProduct(peer, { name: 'Paging Dearest', priceCents: 70_000, categoryId: 2 });
        return [expensive];
      },
      3: async (_seen, unseen) => {
        await adjustStock(server, unseen[0]!, 3);
        return [];
      },
    });
    expect(served.filter((id) => id === raised)).toHaveLength(2);
    expect(served).not.toContain(lowered);
    expect(served[served.length - 1]).toBe(expensive);
  });

  it('products with a price range, PRICE_DESC: rows priced into and out of the range', async () => {
    let into = 0;
    let outOf = 0;
    const filter = { minPriceCents: 10_000, maxPriceCents: 30_000 };
    const { served } = await walkWithWrites(productsSpec('PRICE_DESC', filter), 7, {
      0: async () => {
        const [outside] = await oracle.query<{ id: number }>('select id from product where price_cents < 5000 order by id limit 1');
        into = outside!.id;
        await setPrice(server, into, 10_001);
        return [into];
      },
      1: async (_seen, unseen) => {
        outOf = unseen[2]!;
        await setPrice(peer, outOf, 45_000);
        return [outOf];
      },
    });
    expect(served).toContain(into);
    expect(served).not.toContain(outOf);
  });

  it('products matching a search, NAME_ASC: renamed into and out of the match', async () => {
    const { served, moved } = await walkWithWrites(productsSpec('NAME_ASC', { search: 'kettle' }), 2, {
      0: async (_seen, unseen) => {
        const [other] = await oracle.query<{ id: number }>("select id from product where name not ilike '%kettle%' and description not ilike '%kettle%' order by id limit 1");
        await rename(server, other!.id, 'Zz Kettle Late Arrival');
        // The first unseen row sorts to the end by name: served once, later.
        await rename(peer, unseen[0]!, `Zzz ${unseen[0]} kettle`);
        return [other!.id, unseen[0]!];
      },
    });
    for (const id of moved) expect(served.filter((s) => s === id)).toHaveLength(1);
  });

  it('Category.products, NEWEST and PRICE_ASC: rows moved into and out of the category', async () => {
    const target = fullestCategoryId;
    const elsewhere = target === 1 ? 2 : 1;
    for (const orderBy of ['NEWEST', 'PRICE_ASC'] as const) {
      let movedOut = 0;
      let movedIn = 0;
      const { served } = await walkWithWrites(categoryProductsSpec(orderBy, target), 4, {
        0: async (_seen, unseen) => {
          movedOut = unseen[1]!;
          await moveCategory(peer, movedOut, elsewhere);
          // The oldest of another category's dearest rows sorts after the cursor in either order.
          const [outsider] = await oracle.query<{ id: number }>(
            'select id from product where category_id <> $1 and price_cents > 45000 order by created_at, id limit 1',
            [target],
          );
          movedIn = outsider!.id;
          await moveCategory(server, movedIn, target);
          return [movedOut, movedIn];
        },
        1: async () => [await createProduct(server, { name: 'Paging Shelf', priceCents: 48_000, categoryId: target })],
      });
      expect(served).not.toContain(movedOut);
      expect(served).toContain(movedIn);
      // Put them back, so the next order starts from the same shelf.
      await moveCategory(server, movedOut, target);
    }
  });

  it('Product.reviews: reviews added between pages, and totalCount follows', async () => {
    const spec = reviewsSpec();
    const reviewer = await server.login(7);
    const added: number[] = [];
    const totals: number[] = [];
    const addReview = async (instance: TestInstance) => {
      const data = await mutate(instance, benchDocument('add-review'), { productId: String(reviewedProductId), rating: 4, body: 'Added mid-walk.' }, reviewer);
      added.push(Number(data.addReview.id));
      return [Number(data.addReview.id)];
    };
    // Notes each page's totalCount as the walk reads it.
    const counting: ListSpec = {
      ...spec,
      connection: (data) => {
        totals.push(data.product.reviews.totalCount);
        return spec.connection(data);
      },
    };
    const { served, atStart } = await walkWithWrites(counting, 2, {
      0: () => addReview(server),
      1: () => addReview(peer),
    });
    // New reviews are the newest: they sort before every cursor of the walk.
    for (const id of added) expect(served).not.toContain(id);
    expect(served).toHaveLength(atStart.length);
    // The count of the whole list, on pages read after each review.
    const walkTotals = totals.slice(-Math.ceil(atStart.length / 2));
    expect(walkTotals.slice(0, 3)).toEqual([atStart.length, atStart.length + 1, atStart.length + 2]);
  });

  it('User.orders: orders placed between pages', async () => {
    const placed: number[] = [];
    const place = async (instance: TestInstance) => {
      const data = await mutate(instance, PLACE_ORDER, { items: [{ productId: String(stockedProductId), quantity: 1 }] }, shopper.token);
      placed.push(Number(data.placeOrder.id));
      return [Number(data.placeOrder.id)];
    };
    const { served, atStart } = await walkWithWrites(ordersSpec(), 2, { 0: () => place(peer), 2: () => place(server) });
    for (const id of placed) expect(served).not.toContain(id);
    expect(served).toHaveLength(atStart.length);
  });
});
