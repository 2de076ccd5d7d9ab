/**
 * What both lean peers serve: a minimal schema holding exactly the fields the workload documents
 * select (catalog, product-page, update-price, login), its resolvers, and its data, read from
 * our database's tables with `pg` and one DataLoader per kind of row (one statement per loader
 * batch), as a small app written from the DataLoader and `pg` documentation would.
 *
 * Both peers share this module on purpose: it makes their database work identical (the same
 * five statements per page as our app with its cache off), so the two differ only in their
 * server framework and response cache, which is what the benchmark compares. Nothing here
 * comes from src/: no ORM, no request scope, none of our loaders.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { Pool } from 'pg';
import type { ServerCounters } from '../child';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;

/**
 * How long either peer keeps a response: 300 s, our Product's TTL. Warming 10,000 product
 * pages takes up to a minute here, so with 60 s the first entries expired during the warm
 * window; longer never makes a peer slower, and no figure depends on entries expiring.
 */
export const PEER_TTL_SECONDS = 300;

/** Sessions the peers start last as long as our app's (SESSION_TTL_SECONDS' default). */
const SESSION_TTL_SECONDS = 7 * 24 * 3600;
const MAX_PAGE_SIZE = 100;

export const typeDefs = /* GraphQL */ `
  type Query {
    product(id: ID!): Product
    products(first: Int = 20, after: String, filter: ProductFilter): ProductConnection!
  }

  type Mutation {
    login(email: String!, password: String!): LoginPayload!
    updateProduct(id: ID!, input: UpdateProductInput!): Product!
  }

  input ProductFilter {
    categoryId: ID
  }

  input UpdateProductInput {
    priceCents: Int
  }

  type LoginPayload {
    user: User!
    token: String!
  }

  type Product {
    id: ID!
    sku: String!
    name: String!
    description: String!
    priceCents: Int!
    currency: String!
    stock: Int!
    category: Category!
    averageRating: Float
    reviewCount: Int!
    reviews(first: Int = 10): ReviewConnection!
    updatedAt: String!
  }

  type Category {
    id: ID!
    name: String!
    slug: String!
  }

  type Review {
    id: ID!
    rating: Int!
    body: String!
    createdAt: String!
    author: User!
  }

  type User {
    id: ID!
    name: String!
  }

  type ProductConnection {
    edges: [ProductEdge!]!
    pageInfo: PageInfo!
  }

  type ProductEdge {
    cursor: String!
    node: Product!
  }

  type ReviewConnection {
    totalCount: Int!
    edges: [ReviewEdge!]!
    pageInfo: PageInfo!
  }

  type ReviewEdge {
    cursor: String!
    node: Review!
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }
`;

interface ProductRow {
  id: number;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  categoryId: number;
  createdAt: Date;
  updatedAt: Date;
}

interface ReviewRow {
  id: number;
  productId: number;
  authorId: number;
  rating: number;
  body: string;
  createdAt: Date;
}

interface ReviewStats {
  reviewCount: number;
  averageRating: number | null;
}

interface ReviewPage {
  productId: number;
  rows: ReviewRow[];
  hasNextPage: boolean;
}

const PRODUCT_SELECT = `select id, sku, name, description, price_cents as "priceCents", currency, stock,
  category_id as "categoryId", created_at as "createdAt", updated_at as "updatedAt" from product`;

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

function parseId(id: string): number {
  const value = Number(id);
  if (!Number.isSafeInteger(value) || value <= 0) throw badInput(`"${id}" is not an id`);
  return value;
}

function pageSize(first: number | null | undefined, fallback: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) throw badInput(`"first" must be from 0 to ${MAX_PAGE_SIZE}`);
  return size;
}

// Keyset cursors: the row's position in a newest-first list.
const encodeCursor = (row: { createdAt: Date; id: number }) =>
  Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');

function decodeCursor(cursor: string): [string, number] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && !Number.isNaN(Date.parse(at)) && Number.isSafeInteger(id)) return [at, id as number];
  } catch {
    // Any undecodable cursor is the caller's mistake, answered below.
  }
  throw badInput('"after" is not a cursor this API issued');
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The `scrypt$N$r$p$salt$hash` format our seeder writes. */
async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

export interface PeerContext {
  loaders: Loaders;
  catalog: Catalog;
  /** `Authorization: Bearer <token>`, when the request carries one. */
  token: string | undefined;
}

export type Catalog = ReturnType<typeof createCatalog>;
export type Loaders = ReturnType<Catalog['loaders']>;

export function createCatalog(options: { databaseUrl: string; poolMax: number }) {
  const pool = new Pool({ connectionString: options.databaseUrl, max: options.poolMax });
  let statements = 0;
  const query = async <R>(text: string, values: unknown[]): Promise<R[]> => {
    statements += 1;
    return (await pool.query(text, values)).rows as R[];
  };
  const byId = <R extends { id: number }>(rows: R[], ids: readonly number[]) => {
    const found = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  };

  /** Fresh loaders for one request: their memo never outlives it. */
  const loaders = () => ({
    product: new DataLoader<number, ProductRow | null>(async (ids) =>
      byId(await query<ProductRow>(`${PRODUCT_SELECT} where id = any($1::int[])`, [ids]), ids),
    ),
    category: new DataLoader<number, { id: number; name: string; slug: string } | null>(async (ids) =>
      byId(await query<{ id: number; name: string; slug: string }>('select id, name, slug from category where id = any($1::int[])', [ids]), ids),
    ),
    user: new DataLoader<number, { id: number; name: string } | null>(async (ids) =>
      byId(await query<{ id: number; name: string }>('select id, name from app_user where id = any($1::int[])', [ids]), ids),
    ),
    reviewStats: new DataLoader<number, ReviewStats>(async (ids) => {
      const rows = await query<{ productId: number; reviewCount: number; averageRating: number }>(
        `select product_id as "productId", count(*)::int as "reviewCount", avg(rating)::float8 as "averageRating"
         from review where product_id = any($1::int[]) group by product_id`,
        [ids],
      );
      const found = new Map(rows.map((row) => [row.productId, row]));
      return ids.map((id) => found.get(id) ?? { reviewCount: 0, averageRating: null });
    }),
    // Keyed by product and page size; a batch asks once for the largest page (plus one row, to
    // know whether more follow) and each key takes its own share.
    reviewPage: new DataLoader<{ productId: number; first: number }, ReviewPage, string>(
      async (keys) => {
        const limit = Math.max(...keys.map((key) => key.first)) + 1;
        const rows = await query<ReviewRow>(
          `select id, product_id as "productId", author_id as "authorId", rating, body, created_at as "createdAt"
           from (select r.*, row_number() over (partition by product_id order by created_at desc, id desc) as rank
                 from review r where product_id = any($1::int[])) t
           where rank <= $2 order by product_id, rank`,
          [[...new Set(keys.map((key) => key.productId))], limit],
        );
        const byProduct = new Map<number, ReviewRow[]>();
        for (const row of rows) {
          const list = byProduct.get(row.productId);
          if (list) list.push(row);
          else byProduct.set(row.productId, [row]);
        }
        return keys.map(({ productId, first }) => {
          const list = byProduct.get(productId) ?? [];
          return { productId, rows: list.slice(0, first), hasNextPage: list.length > first };
        });
      },
      { cacheKeyFn: (key) => `${key.productId}/${key.first}` },
    ),
  });

  return {
    loaders,
    /** The statements sent to PostgreSQL so far. */
    get statements() {
      return statements;
    },
    /** One page of products, newest first (one statement; one extra row says whether more follow). */
    async productPage(args: { first: number; after: string | null | undefined; categoryId: number | undefined }) {
      const values: unknown[] = [];
      const where: string[] = [];
      if (args.categoryId !== undefined) {
        values.push(args.categoryId);
        where.push(`category_id = $${values.length}`);
      }
      if (args.after) {
        values.push(...decodeCursor(args.after));
        where.push(`(created_at, id) < ($${values.length - 1}::timestamptz, $${values.length})`);
      }
      values.push(args.first + 1);
      const rows = await query<ProductRow>(
        `${PRODUCT_SELECT} ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
         order by created_at desc, id desc limit $${values.length}`,
        values,
      );
      return { rows: rows.slice(0, args.first), hasNextPage: rows.length > args.first };
    },

    /** The role of the live session behind `token`: one indexed statement, as our app's uncached path. */
    async roleOf(token: string): Promise<string | null> {
      const rows = await query<{ role: string }>(
        'select u.role from session s join app_user u on u.id = s.user_id where s.id = $1 and s.expires_at > now()',
        [hashToken(token)],
      );
      return rows[0]?.role ?? null;
    },

    async setPrice(id: number, priceCents: number): Promise<ProductRow | null> {
      const rows = await query<ProductRow>(
        `update product set price_cents = $2, updated_at = now() where id = $1
         returning id, sku, name, description, price_cents as "priceCents", currency, stock,
           category_id as "categoryId", created_at as "createdAt", updated_at as "updatedAt"`,
        [id, priceCents],
      );
      return rows[0] ?? null;
    },

    /** Checks the credentials against our users and starts a session in our `session` table. */
    async login(email: string, password: string) {
      const [user] = await query<{ id: number; name: string; passwordHash: string }>(
        'select id, name, password_hash as "passwordHash" from app_user where email = $1',
        [email],
      );
      if (!user || !(await passwordMatches(password, user.passwordHash))) {
        throw new GraphQLError('That email and password do not match an account.', { extensions: { code: 'UNAUTHENTICATED' } });
      }
      const token = randomBytes(32).toString('base64url');
      await query(`insert into session (id, user_id, expires_at) values ($1, $2, now() + make_interval(secs => $3))`, [
        hashToken(token),
        user.id,
        SESSION_TTL_SECONDS,
      ]);
      return { user: { id: user.id, name: user.name }, token };
    },

    close: () => pool.end(),
  };
}

/** A request's context; `authorization` is its header, if any. */
export function requestContext(catalog: Catalog, authorization: string | null | undefined): PeerContext {
  const token = /^Bearer\s+(\S+)$/.exec(authorization?.trim() ?? '')?.[1];
  return { loaders: catalog.loaders(), catalog, token };
}

/** The same resolvers for both peers; scalar fields resolve by name from the rows. */
export const resolvers = {
  Query: {
    product: (_: unknown, args: { id: string }, { loaders }: PeerContext) => loaders.product.load(parseId(args.id)),
    products: async (
      _: unknown,
      args: { first?: number | null; after?: string | null; filter?: { categoryId?: string | null } | null },
      { catalog }: PeerContext,
    ) => {
      const categoryId = args.filter?.categoryId == null ? undefined : parseId(args.filter.categoryId);
      const page = await catalog.productPage({ first: pageSize(args.first, 20), after: args.after, categoryId });
      return {
        edges: page.rows.map((row) => ({ cursor: encodeCursor(row), node: row })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.rows.length > 0 ? encodeCursor(page.rows.at(-1)!) : null },
      };
    },
  },
  Mutation: {
    login: (_: unknown, args: { email: string; password: string }, { catalog }: PeerContext) => catalog.login(args.email, args.password),
    updateProduct: async (
      _: unknown,
      args: { id: string; input: { priceCents?: number | null } },
      { catalog, token }: PeerContext,
    ) => {
      const role = token ? await catalog.roleOf(token) : null;
      if (!role) throw new GraphQLError('Sign in first.', { extensions: { code: 'UNAUTHENTICATED' } });
      if (role !== 'ADMIN') throw new GraphQLError('Only ADMIN users may change products.', { extensions: { code: 'FORBIDDEN' } });
      const priceCents = args.input.priceCents;
      if (priceCents == null || !Number.isInteger(priceCents) || priceCents < 0) throw badInput('"input.priceCents" must be zero or more');
      const product = await catalog.setPrice(parseId(args.id), priceCents);
      if (!product) throw new GraphQLError(`No product has the id "${args.id}".`, { extensions: { code: 'NOT_FOUND' } });
      return product;
    },
  },
  Product: {
    category: (row: ProductRow, _: unknown, { loaders }: PeerContext) => loaders.category.load(row.categoryId),
    averageRating: async (row: ProductRow, _: unknown, { loaders }: PeerContext) => (await loaders.reviewStats.load(row.id)).averageRating,
    reviewCount: async (row: ProductRow, _: unknown, { loaders }: PeerContext) => (await loaders.reviewStats.load(row.id)).reviewCount,
    reviews: async (row: ProductRow, args: { first?: number | null }, { loaders }: PeerContext) => {
      const page = await loaders.reviewPage.load({ productId: row.id, first: pageSize(args.first, 10) });
      return {
        productId: row.id,
        edges: page.rows.map((review) => ({ cursor: encodeCursor(review), node: review })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.rows.length > 0 ? encodeCursor(page.rows.at(-1)!) : null },
      };
    },
    updatedAt: (row: ProductRow) => row.updatedAt.toISOString(),
  },
  ReviewConnection: {
    totalCount: async (connection: { productId: number }, _: unknown, { loaders }: PeerContext) =>
      (await loaders.reviewStats.load(connection.productId)).reviewCount,
  },
  Review: {
    createdAt: (row: ReviewRow) => row.createdAt.toISOString(),
    author: (row: ReviewRow, _: unknown, { loaders }: PeerContext) => loaders.user.load(row.authorId),
  },
};

/**
 * A whole-response peer's counters as the driver reads them: its cache counts responses, and it
 * has no L1, stale serves or L1 resets.
 */
export function peerCounters(
  catalog: Catalog,
  cache: { redisRoundTrips: number; hits: number; misses: number; errors: number },
  requests: { handled: number; inFlight: number },
): ServerCounters {
  return {
    sqlStatements: catalog.statements,
    redisRoundTrips: cache.redisRoundTrips,
    cacheHits: cache.hits,
    cacheMisses: cache.misses,
    cacheStale: 0,
    cacheL1Hits: 0,
    cacheErrors: cache.errors,
    l1Resets: 0,
    requests: requests.handled,
    inFlight: requests.inFlight,
  };
}
