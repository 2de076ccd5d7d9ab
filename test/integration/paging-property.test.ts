/**
 * Property: however a walk through `products` is shaped (page size, order, filter), whichever
 * instance serves each page (A or B, cache on and sharing Redis, or one with the cache off),
 * whatever state the cache starts in, and whatever writes land between pages (price, stock,
 * name, description and category changes, new products, through A or B), keyset paging holds:
 *
 * - every page answers without errors and is exactly the page the database holds at that
 *   moment after the previous page's cursor, with every field as the database holds it then
 *   (so pages are sorted by the sort key as of that moment);
 * - every product in the filtered list when the walk began that no write moved (changed its
 *   sort value or whether it passes the filter) is served exactly once;
 * - a product is served twice only if a write moved it, and a product that was not in the list
 *   is served only if a write moved it in.
 *
 * Runs share one database and accept its drift: each run reads what it expects from the
 * database, and its writes stay (prices, names and categories change, products are added).
 *
 * Replaying a failure: fast-check prints `{ seed: <n>, path: "<p>", endOnFailure: true }`.
 *   PAGING_SEED=<n> PAGING_PATH="<p>" npx jest test/integration/paging-property
 * runs that failing case first (the database starts fresh, so the data differs from the failing
 * run by the writes of the runs before it; the scenario is the same). PAGING_RUNS=<n> runs more
 * cases. Shrinking is off (each case is a few seconds of real HTTP and SQL, and the drift makes
 * shrunk cases differ anyway); the printed counterexample is the whole scenario.
 */
import fc from 'fast-check';
import {
  cacheOf,
  checkProductNodes,
  keysetViolations,
  Oracle,
  PRODUCT_NODE_FIELDS,
  productListQuery,
  walk,
  type ListSpec,
  type ProductFilter,
  type ProductOrder,
} from '../helpers/paging';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';

let a: TestServer;
let b: TestInstance;
let off: TestInstance;
let oracle: Oracle;
let adminToken: string;

beforeAll(async () => {
  a = await startTestServer({ label: 'paging_property', redis: true });
  b = await a.startInstance();
  off = await a.startInstance({ CACHE_ENABLED: 'false' });
  oracle = new Oracle(a.config.databaseUrl!);
  adminToken = await a.login(1);
});
afterAll(async () => {
  await oracle?.end();
  await a?.stop();
});

const DOCUMENT = `query Products($first: Int, $after: String, $orderBy: ProductOrder, $filter: ProductFilter) {
  products(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {
    edges { cursor node { ${PRODUCT_NODE_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const UPDATE_PRODUCT = 'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }';
const ADJUST_STOCK = 'mutation ($id: ID!, $delta: Int!) { adjustStock(id: $id, delta: $delta) { id } }';
const CREATE_PRODUCT = 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }';

const ORDERS: ProductOrder[] = ['NEWEST', 'PRICE_ASC', 'PRICE_DESC', 'NAME_ASC'];
/** Nouns of the demo names: searches find several products, and renames move products in and out. */
const WORDS = ['Lamp', 'Kettle', 'Chair', 'Mug', 'Desk'];
const CATEGORIES = 8;
/** A walk asks at most about this many pages: small page sizes are raised for long lists. */
const MAX_PAGES = 20;

/** Which product a write touches: one already served, one still to come, or any product. */
const target = fc.record({ among: fc.constantFrom('seen', 'unseen', 'any'), index: fc.nat() });

const write = fc.oneof(
  fc.record({ kind: fc.constant('price' as const), target, priceCents: fc.integer({ min: 0, max: 60_000 }) }),
  fc.record({ kind: fc.constant('stock' as const), target, delta: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ kind: fc.constant('category' as const), target, categoryId: fc.integer({ min: 1, max: CATEGORIES }) }),
  fc.record({ kind: fc.constant('rename' as const), target, word: fc.constantFrom(...WORDS), tag: fc.integer({ min: 1, max: 999 }) }),
  fc.record({ kind: fc.constant('describe' as const), target, word: fc.constantFrom(...WORDS) }),
  fc.record({
    kind: fc.constant('create' as const),
    categoryId: fc.integer({ min: 1, max: CATEGORIES }),
    priceCents: fc.integer({ min: 0, max: 60_000 }),
    word: fc.constantFrom(...WORDS),
  }),
);
type Write = typeof write extends fc.Arbitrary<infer W> ? W : never;

const filter: fc.Arbitrary<ProductFilter> = fc.oneof(
  fc.constant({}),
  fc.integer({ min: 1, max: CATEGORIES }).map((id) => ({ categoryId: String(id) })),
  fc.constantFrom(...WORDS).map((word) => ({ search: word.toLowerCase() })),
  fc
    .tuple(fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 2_000, max: 25_000 }))
    .map(([min, width]) => ({ minPriceCents: min, maxPriceCents: min + width })),
  fc
    .tuple(fc.integer({ min: 1, max: CATEGORIES }), fc.integer({ min: 0, max: 30_000 }))
    .map(([id, min]) => ({ categoryId: String(id), minPriceCents: min })),
);

const scenario = fc.record({
  pageSize: fc.integer({ min: 1, max: 15 }),
  orderBy: fc.constantFrom(...ORDERS),
  filter,
  /** How the cache starts: as the previous runs left it, emptied, or warmed by a walk on A or B. */
  start: fc.constantFrom('as-left', 'purged', 'warmed-on-A', 'warmed-on-B'),
  /** Who serves page i: servers[i % length]. */
  servers: fc.array(fc.constantFrom('A', 'B', 'off'), { minLength: 1, maxLength: 6 }),
  writes: fc.array(fc.record({ afterPage: fc.oneof(fc.nat({ max: 3 }), fc.nat({ max: MAX_PAGES })), via: fc.constantFrom('A', 'B'), write }), { maxLength: 8 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

let created = 0;
/** Over all cases: pages walked, writes applied between pages, pages the cache-off instance served. */
const tally = { cases: 0, pages: 0, writes: 0, byOff: 0 };

async function mutate(instance: TestInstance, document: string, variables: Record<string, unknown>): Promise<any> {
  const response = await instance.request(document, variables, { token: adminToken });
  if (response.body.errors) throw new Error(`write failed: ${JSON.stringify(response.body.errors)}`);
  return response.body.data;
}

/** Whether `w` can change where a product sits in, or whether it belongs to, this list. */
function moves(w: Write, orderBy: ProductOrder, listFilter: ProductFilter): boolean {
  switch (w.kind) {
    case 'price':
      return orderBy === 'PRICE_ASC' || orderBy === 'PRICE_DESC' || listFilter.minPriceCents !== undefined || listFilter.maxPriceCents !== undefined;
    case 'rename':
      return orderBy === 'NAME_ASC' || listFilter.search !== undefined;
    case 'describe':
      return listFilter.search !== undefined;
    case 'category':
      return listFilter.categoryId !== undefined;
    case 'stock':
      return false;
    case 'create':
      return true;
  }
}

/** Applies one write through `via`; returns the product it touched. */
async function apply(w: Write, via: TestInstance, seen: number[], unseen: number[]): Promise<number> {
  if (w.kind === 'create') {
    created += 1;
    const data = await mutate(via, CREATE_PRODUCT, {
      input: {
        sku: `PROP-${process.pid}-${created}`,
        name: `${w.word} Property ${created}`,
        priceCents: w.priceCents,
        stock: 10,
        categoryId: String(w.categoryId),
      },
    });
    return Number(data.createProduct.id);
  }
  let pool = w.target.among === 'seen' ? seen : w.target.among === 'unseen' ? unseen : [];
  if (pool.length === 0) pool = (await oracle.query<{ id: number }>('select id from product order by id')).map((r) => r.id);
  const id = pool[w.target.index % pool.length]!;
  switch (w.kind) {
    case 'price':
      await mutate(via, UPDATE_PRODUCT, { id: String(id), input: { priceCents: w.priceCents } });
      break;
    case 'stock':
      await mutate(via, ADJUST_STOCK, { id: String(id), delta: w.delta });
      break;
    case 'category':
      await mutate(via, UPDATE_PRODUCT, { id: String(id), input: { categoryId: String(w.categoryId) } });
      break;
    case 'rename':
      await mutate(via, UPDATE_PRODUCT, { id: String(id), input: { name: `${w.word} Renamed ${w.tag}` } });
      break;
    case 'describe':
      await mutate(via, UPDATE_PRODUCT, { id: String(id), input: { description: `Now described as a ${w.word.toLowerCase()}.` } });
      break;
  }
  return id;
}

async function check(s: Scenario): Promise<void> {
  const instances: Record<'A' | 'B' | 'off', TestInstance> = { A: a, B: b, off };
  const spec: ListSpec = {
    label: `products(orderBy: ${s.orderBy}, filter: ${JSON.stringify(s.filter)})`,
    document: DOCUMENT,
    variables: { orderBy: s.orderBy, filter: s.filter },
    connection: (data) => data.products,
    query: productListQuery(s.orderBy, s.filter),
  };

  const atStart = (await oracle.list(spec.query)).map((r) => r.id);
  // A long list is walked in about MAX_PAGES pages at most (small sizes are raised), and a list
  // of two rows or more in two pages at least (large sizes are lowered): one page tests no paging.
  const first = Math.min(Math.max(s.pageSize, Math.ceil(atStart.length / MAX_PAGES)), Math.max(1, Math.ceil(atStart.length / 2)));

  if (s.start === 'purged') await mutate(a, 'mutation { purgeCache }', {});
  if (s.start === 'warmed-on-A' || s.start === 'warmed-on-B') {
    const warmer = s.start === 'warmed-on-A' ? a : b;
    await walk(spec, { first, serve: () => warmer, maxPages: MAX_PAGES + 10 });
    await cacheOf(warmer).settled();
  }

  const writesAfter = new Map<number, Scenario['writes']>();
  for (const w of s.writes) writesAfter.set(w.afterPage, [...(writesAfter.get(w.afterPage) ?? []), w]);
  const moved = new Set<number>();
  let wrote = false;

  const { ids, pages } = await walk(spec, {
    first,
    serve: (index) => instances[s.servers[index % s.servers.length]!],
    oracle,
    checkNodes: checkProductNodes,
    maxPages: Math.ceil((atStart.length + s.writes.length) / Math.max(first, 1)) + s.writes.length + 2,
    between: async (index, walked) => {
      const due = writesAfter.get(index);
      if (!due) return;
      for (const { via, write: w } of due) {
        const seen = walked.flatMap((p) => p.ids);
        const now = (await oracle.list(spec.query)).map((r) => r.id);
        const unseen = now.filter((id) => !seen.includes(id));
        const id = await apply(w, instances[via], seen, unseen);
        wrote = true;
        tally.writes += 1;
        if (moves(w, s.orderBy, s.filter)) moved.add(id);
      }
    },
  });

  tally.cases += 1;
  tally.pages += pages.length;
  tally.byOff += pages.filter((p) => p.instance === off).length;

  const problems = keysetViolations(atStart, ids, moved);
  if (problems.length > 0) throw new Error(`${spec.label}, first: ${first}:\n${problems.join('\n')}\nserved: ${JSON.stringify(ids)}`);
  // With no write during the walk, it is the list at the start, exactly.
  if (!wrote && JSON.stringify(ids) !== JSON.stringify(atStart)) {
    throw new Error(`${spec.label}, first: ${first}: with no writes the walk is not the list\nserved: ${JSON.stringify(ids)}\nlist: ${JSON.stringify(atStart)}`);
  }
}

it('walks stay keyset-consistent across page sizes, orders, filters, instances, cache states and writes', async () => {
  const seed = process.env.PAGING_SEED ? Number(process.env.PAGING_SEED) : undefined;
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      await check(s);
    }),
    {
      numRuns: Number(process.env.PAGING_RUNS ?? 25),
      endOnFailure: true,
      ...(seed === undefined ? {} : { seed }),
      ...(process.env.PAGING_PATH ? { path: process.env.PAGING_PATH } : {}),
    },
  );
  // Not vacuous: walks spanned pages, writes landed between them, and the cache-off instance served some.
  if (process.env.PAGING_PATH === undefined) {
    expect(tally.pages).toBeGreaterThan(tally.cases);
    expect(tally.writes).toBeGreaterThan(0);
    expect(tally.byOff).toBeGreaterThan(0);
  }
}, 300_000);
