/**
 * Walking a paginated list the way a frontend does (`first`, then each `endCursor` as `after`)
 * and checking every page against the database itself: an oracle that runs the keyset query
 * the API should have run, in plain SQL on a connection of its own (so it never shows up in an
 * instance's SQL count). The oracle orders with PostgreSQL's own collation and types, so no
 * test re-implements the sort in JavaScript.
 */
import { Pool } from 'pg';
import type { GraphQLResponse, TestInstance } from './server';

export type ProductOrder = 'NEWEST' | 'PRICE_ASC' | 'PRICE_DESC' | 'NAME_ASC';

export interface ProductFilter {
  categoryId?: string;
  search?: string;
  minPriceCents?: number;
  maxPriceCents?: number;
}

/** How the database orders one list: table, conditions, and the keyset's column and direction. */
export interface ListQuery {
  table: string;
  /** Conditions (ANDed), with `?` placeholders for `params` in order. */
  where: string[];
  params: unknown[];
  /** The sort column; ties are broken by `id` in the same direction. */
  column: string;
  /** The column's type, to cast a key read back as text. */
  type: 'timestamptz' | 'integer' | 'text';
  direction: 'asc' | 'desc';
}

const PRODUCT_ORDERS: Record<ProductOrder, Pick<ListQuery, 'column' | 'type' | 'direction'>> = {
  NEWEST: { column: 'created_at', type: 'timestamptz', direction: 'desc' },
  PRICE_ASC: { column: 'price_cents', type: 'integer', direction: 'asc' },
  PRICE_DESC: { column: 'price_cents', type: 'integer', direction: 'desc' },
  NAME_ASC: { column: 'name', type: 'text', direction: 'asc' },
};

/** `Query.products(filter, orderBy)` (and `Category.products`, a category filter) in SQL. */
export function productListQuery(orderBy: ProductOrder, filter: ProductFilter = {}): ListQuery {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.categoryId !== undefined) {
    where.push('category_id = ?');
    params.push(Number(filter.categoryId));
  }
  if (filter.search !== undefined && filter.search.trim() !== '') {
    // The API escapes LIKE's wildcards; the tests search plain words only.
    where.push('(name ilike ? or description ilike ?)');
    params.push(`%${filter.search.trim()}%`, `%${filter.search.trim()}%`);
  }
  if (filter.minPriceCents !== undefined) {
    where.push('price_cents >= ?');
    params.push(filter.minPriceCents);
  }
  if (filter.maxPriceCents !== undefined) {
    where.push('price_cents <= ?');
    params.push(filter.maxPriceCents);
  }
  return { table: 'product', where, params, ...PRODUCT_ORDERS[orderBy] };
}

/** A parent's children newest first (`Product.reviews`, `User.orders`). */
export function newestChildrenQuery(table: 'review' | 'customer_order', parentColumn: string, parentId: number): ListQuery {
  return { table, where: [`${parentColumn} = ?`], params: [parentId], column: 'created_at', type: 'timestamptz', direction: 'desc' };
}

/** A row's position in a list: its sort value as PostgreSQL prints it, and its id. */
export interface RowKey {
  key: string;
  id: number;
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${(n += 1)}`);
}

export class Oracle {
  private readonly pool: Pool;

  constructor(databaseUrl: string) {
    this.pool = new Pool({ connectionString: databaseUrl, max: 2 });
  }

  async query<R extends object = Record<string, any>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query(numbered(sql), params)).rows as R[];
  }

  private select(q: ListQuery, after: RowKey | null, limit?: number): { sql: string; params: unknown[] } {
    const where = [...q.where];
    const params = [...q.params];
    if (after) {
      where.push(`(${q.column}, id) ${q.direction === 'asc' ? '>' : '<'} (?::${q.type}, ?)`);
      params.push(after.key, after.id);
    }
    const sql =
      `select id, ${q.column}::text as key from ${q.table}` +
      (where.length > 0 ? ` where ${where.join(' and ')}` : '') +
      ` order by ${q.column} ${q.direction}, id ${q.direction}` +
      (limit === undefined ? '' : ` limit ${limit}`);
    return { sql, params };
  }

  /** Every row of the list, in order. */
  async list(q: ListQuery): Promise<RowKey[]> {
    const { sql, params } = this.select(q, null);
    return (await this.query<{ id: number; key: string }>(sql, params)).map((r) => ({ id: r.id, key: r.key }));
  }

  /** The page the API should answer now for `first` and a cursor at `after`. */
  async page(q: ListQuery, after: RowKey | null, first: number): Promise<{ rows: RowKey[]; hasNextPage: boolean }> {
    const { sql, params } = this.select(q, after, first + 1);
    const rows = (await this.query<{ id: number; key: string }>(sql, params)).map((r) => ({ id: r.id, key: r.key }));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** The current sort values of `ids` in the list's column (absent ids are left out). */
  async keys(q: ListQuery, ids: readonly number[]): Promise<Map<number, string>> {
    const rows = await this.query<{ id: number; key: string }>(`select id, ${q.column}::text as key from ${q.table} where id = any(?::int[])`, [
      [...ids],
    ]);
    return new Map(rows.map((r) => [r.id, r.key]));
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
  startCursor?: string | null;
  hasPreviousPage?: boolean;
}

export interface Connection {
  edges: { cursor: string; node: { id: string; [field: string]: any } }[];
  pageInfo: PageInfo;
  totalCount?: number;
}

/** One paginated list as a client asks for it. */
export interface ListSpec {
  label: string;
  /** The GraphQL document; takes `$first` and `$after`. */
  document: string;
  /** Its other variables. */
  variables?: Record<string, unknown>;
  /** The connection in a response's `data`. */
  connection: (data: any) => Connection;
  /** The same list in SQL. */
  query: ListQuery;
  /** A bearer token (private lists). */
  token?: string;
}

export interface WalkedPage {
  /** Which page of the walk (0-based), which instance served it, what it answered. */
  index: number;
  instance: TestInstance;
  ids: number[];
  connection: Connection;
  extensions: Record<string, any> | undefined;
}

export interface WalkOptions {
  first: number;
  /** The instance that serves page `index`. */
  serve: (index: number) => TestInstance;
  /**
   * The database oracle: when given, every page is compared, when it is served, with the keyset
   * page the database holds at that moment after the previous page's last row (its sort value
   * as it was when that page was served, which is what the cursor carries).
   */
  oracle?: Oracle;
  /** Runs after page `index` was served and checked, before the next one is asked for. */
  between?: (index: number, walked: readonly WalkedPage[]) => Promise<void>;
  /** Stops with an error past this many pages (a cursor that does not move forward). */
  maxPages: number;
  /** Checks each page's nodes against the database (e.g. prices as of now). */
  checkNodes?: (nodes: Connection['edges'][number]['node'][], oracle: Oracle) => Promise<void>;
}

/** Names a page in assertion messages, so a failure says where the walk broke. */
function where(spec: ListSpec, index: number, instance: TestInstance, first: number): string {
  return `${spec.label}, first: ${first}, page ${index + 1} (from ${instance.url})`;
}

function fail(message: string, detail: unknown): never {
  throw new Error(`${message}\n${JSON.stringify(detail, null, 2)?.slice(0, 4000)}`);
}

/**
 * Walks `spec` page by page until `hasNextPage` is false and returns the ids in the order
 * served. Each page must answer without errors; `endCursor` must be its last edge's cursor
 * (`startCursor`, when the document selects it, its first, and `hasPreviousPage` true exactly
 * when the page was asked for with `after`); a page that says more follow must be full. With
 * `oracle`, each page must be exactly what the database holds at that moment.
 */
export async function walk(spec: ListSpec, options: WalkOptions): Promise<{ ids: number[]; pages: WalkedPage[] }> {
  const { first } = options;
  const pages: WalkedPage[] = [];
  let after: string | null = null;
  let afterKey: RowKey | null = null;
  for (let index = 0; ; index += 1) {
    const instance = options.serve(index);
    const at = where(spec, index, instance, first);
    if (index >= options.maxPages) fail(`${at}: the walk did not end within ${options.maxPages} pages`, pages.map((p) => p.ids));
    const response: GraphQLResponse = await instance.request(
      spec.document,
      { ...spec.variables, first, after },
      spec.token ? { token: spec.token } : {},
    );
    if (response.status !== 200 || response.body.errors || !response.body.data) {
      fail(`${at}: the page answered an error (after: ${after})`, { status: response.status, errors: response.body.errors });
    }
    const connection = spec.connection(response.body.data);
    const ids = connection.edges.map((edge) => Number(edge.node.id));
    const { pageInfo, edges } = connection;
    const lastCursor = edges.length > 0 ? edges[edges.length - 1]!.cursor : null;
    if (pageInfo.endCursor !== lastCursor) fail(`${at}: endCursor is not the last edge's cursor`, { pageInfo, lastCursor });
    if (pageInfo.startCursor !== undefined && pageInfo.startCursor !== (edges[0]?.cursor ?? null)) {
      fail(`${at}: startCursor is not the first edge's cursor`, { pageInfo, firstCursor: edges[0]?.cursor });
    }
    if (pageInfo.hasPreviousPage !== undefined && pageInfo.hasPreviousPage !== (after !== null)) {
      fail(`${at}: hasPreviousPage does not say whether the page was asked for with after`, { pageInfo, after });
    }
    if (edges.length > first) fail(`${at}: more edges than asked for`, ids);
    if (pageInfo.hasNextPage && edges.length !== first) fail(`${at}: a page that says more follow is not full`, { ids, pageInfo });
    if (new Set(edges.map((e) => e.cursor)).size !== edges.length) fail(`${at}: two edges share a cursor`, edges);

    if (options.oracle) {
      const expected = await options.oracle.page(spec.query, afterKey, first);
      const expectedIds = expected.rows.map((r) => r.id);
      if (JSON.stringify(ids) !== JSON.stringify(expectedIds) || pageInfo.hasNextPage !== expected.hasNextPage) {
        fail(`${at}: the page is not the database's page after ${JSON.stringify(afterKey)}`, {
          served: { ids, hasNextPage: pageInfo.hasNextPage },
          database: { ids: expectedIds, hasNextPage: expected.hasNextPage },
        });
      }
      if (options.checkNodes) await options.checkNodes(edges.map((e) => e.node), options.oracle);
      afterKey = expected.rows[expected.rows.length - 1] ?? afterKey;
    }

    pages.push({ index, instance, ids, connection, extensions: response.body.extensions });
    if (!pageInfo.hasNextPage) break;
    if (edges.length === 0) fail(`${at}: an empty page says more follow, so the walk cannot move on`, pageInfo);
    after = pageInfo.endCursor;
    if (options.between) await options.between(index, pages);
  }
  return { ids: pages.flatMap((p) => p.ids), pages };
}

/** The ids that occur more than once, with their counts. */
export function repeated(ids: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return new Map([...counts].filter(([, count]) => count > 1));
}

/** The selection of a product node that the node check compares with the database. */
export const PRODUCT_NODE_FIELDS = 'id name priceCents stock createdAt category { id }';

/**
 * Compares product nodes with their rows now: name, price, stock, category and creation time,
 * whichever the node carries. A stale entity read would show here even when the ids are right.
 */
export async function checkProductNodes(nodes: Connection['edges'][number]['node'][], oracle: Oracle): Promise<void> {
  if (nodes.length === 0) return;
  const rows = await oracle.query<{ id: number; name: string; price_cents: number; stock: number; category_id: number; created_at: string }>(
    `select id, name, price_cents, stock, category_id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at
     from product where id = any(?::int[])`,
    [nodes.map((n) => Number(n.id))],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const node of nodes) {
    const row = byId.get(Number(node.id));
    if (!row) fail(`product ${node.id} was served but has no row`, node);
    const differences: string[] = [];
    if ('name' in node && node.name !== row.name) differences.push(`name ${node.name} != ${row.name}`);
    if ('priceCents' in node && node.priceCents !== row.price_cents) differences.push(`priceCents ${node.priceCents} != ${row.price_cents}`);
    if ('stock' in node && node.stock !== row.stock) differences.push(`stock ${node.stock} != ${row.stock}`);
    if ('createdAt' in node && node.createdAt !== row.created_at) differences.push(`createdAt ${node.createdAt} != ${row.created_at}`);
    if (node.category && Number(node.category.id) !== row.category_id) differences.push(`category ${node.category.id} != ${row.category_id}`);
    if (differences.length > 0) fail(`product ${node.id} is served stale: ${differences.join('; ')}`, node);
  }
}

/** The instance's cache, which tests wait on (`settled`) and read counters from. */
export function cacheOf(instance: TestInstance) {
  const cache = instance.app.cacheLayer.cache;
  if (!cache) throw new Error(`${instance.url} runs with the cache off`);
  return cache;
}

/**
 * What keyset paging promises a walk that writes interleave with: every row that was in the
 * list when the walk began and that no write moved (changed its sort value or whether it
 * belongs) is served exactly once; only a moved row may be served twice (a keyset cursor
 * cannot know a row it passed now sorts after it), and only a row moved in (or created) may be
 * served that was not in the list at the start. Returns the problems found, empty if none.
 */
export function keysetViolations(atStart: readonly number[], served: readonly number[], moved: ReadonlySet<number>): string[] {
  const problems: string[] = [];
  const counts = new Map<number, number>();
  for (const id of served) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const id of atStart) {
    if (moved.has(id)) continue;
    const count = counts.get(id) ?? 0;
    if (count !== 1) problems.push(`row ${id}, in the list from the start and never moved, was served ${count} times`);
  }
  const before = new Set(atStart);
  for (const [id, count] of counts) {
    if (count > 1 && !moved.has(id)) problems.push(`row ${id} was served ${count} times but no write moved it`);
    if (!before.has(id) && !moved.has(id)) problems.push(`row ${id} was served, but was not in the list and no write moved it in`);
  }
  return problems;
}
