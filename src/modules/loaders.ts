/**
 * The per-request DataLoaders: every entity and relation read in a resolver goes through one
 * of these, so a request sends one statement per kind of thing it reads, whatever its shape.
 * A factory is built once at boot; it makes fresh loaders for each request from that request's
 * EntityManager, so the request memo never leaks across requests or users. Entity loaders of
 * types that carry `@cached` read through the two-tier cache.
 */
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type DataLoader from 'dataloader';
import type { Orm } from '../db/orm';
import { createEntityCodec, type EntityCodec, type RowCodec } from '../db/entity-codec';
import { intArray } from '../db/int-array';
import type { PolicyMap } from '../cache/policy';
import type { TwoTierCache } from '../cache/two-tier-cache';
import { createByForeignKeyLoader, createByKeyLoader } from '../loaders/by-key';
import { createCachedByKeyLoader } from '../loaders/cached-by-key';
import { createPagePerParentLoader } from '../loaders/page-per-parent';
import type { CursorKey } from './common/connection';
import { Category } from './category/category.entity';
import { findCategoriesByIds } from './category/category.repository';
import { Product } from './product/product.entity';
import { findProductsByIds } from './product/product.repository';
import { Review } from './review/review.entity';
import { findNewestReviews, findReviewsByIds, findReviewStats, type ReviewStats } from './review/review.repository';
import { User } from './user/user.entity';
import { findUsersByIds } from './user/user.repository';
import { Order, type OrderItem } from './order/order.entity';
import { findItemsOfOrders, findNewestOrders, findOrdersByIds } from './order/order.repository';

const cursorKey = (after: CursorKey) => JSON.stringify(after);
const plainCodec: EntityCodec<ReviewStats> = { encode: (stats) => ({ ...stats }), decode: (record) => record as ReviewStats };

export interface LoaderFactoryOptions {
  orm: Orm;
  /** Absent: every loader goes straight to the database (the cache is off). */
  cache?: TwoTierCache;
  policies: PolicyMap;
  /** Called with each database batch: which loader, how many keys. */
  onBatch?: (loader: string, size: number) => void;
}

/** GraphQL types that have an entity loader, and so can be cached as references. */
export const ENTITY_TYPES = ['Product', 'Category', 'User', 'Review', 'Order'] as const;
export type EntityTypeName = (typeof ENTITY_TYPES)[number];

export function createLoaderFactory(options: LoaderFactoryOptions) {
  const { cache, policies, orm } = options;
  /** Reports each database batch's size before running it. */
  const measured =
    <K, R>(loader: string, fetch: (keys: readonly K[]) => Promise<R>) =>
    (keys: readonly K[]) => {
      options.onBatch?.(loader, keys.length);
      return fetch(keys);
    };
  const metadata = orm.getMetadata();
  // Shared by every request: concurrent misses for one entity load it once per process.
  const inflight = new Map<string, Map<number, Promise<unknown>>>();

  /**
   * Rows for a cached entity loader, read straight into plain records: what the cache stores
   * and resolvers read anyway, without building ORM entities (the costliest part of a load).
   */
  const recordsByIds =
    <R>(em: SqlEntityManager, codec: RowCodec<R>) =>
    async (ids: readonly number[]): Promise<R[]> => {
      const rows = await em.getConnection().execute<Record<string, unknown>[]>(`${codec.selectFrom} where "id" = any(?::int[])`, [intArray(ids)]);
      return rows.map((row) => codec.fromRow(row));
    };

  function cachedOrPlain<R>(loader: {
    /** The cache's name for what is loaded, e.g. `Product`. */
    typeName: string;
    /** The type whose `@cached` policy applies; default `typeName`. */
    policyType?: string;
    fetch: (ids: readonly number[]) => Promise<readonly R[]>;
    keyOf: (row: R) => number;
    codec: EntityCodec<R>;
    tagsOf?: (id: number) => string[];
    missing?: (id: number) => R;
    /** With the cache on, load by reading these rows directly instead of `fetch`. */
    rows?: (ids: readonly number[]) => Promise<readonly R[]>;
  }): DataLoader<number, R | null> {
    const policy = policies.types.get(loader.policyType ?? loader.typeName);
    if (cache && policy && loader.rows) loader = { ...loader, fetch: loader.rows };
    loader = { ...loader, fetch: measured(loader.typeName, loader.fetch) };
    if (!cache || !policy) return createByKeyLoader({ fetch: loader.fetch, keyOf: loader.keyOf });
    if (!inflight.has(loader.typeName)) inflight.set(loader.typeName, new Map());
    const cached = createCachedByKeyLoader<R>({
      ...loader,
      cache,
      lifetime: policy,
      inflight: inflight.get(loader.typeName) as Map<number, Promise<R | null>>,
    });
    cachedLoaders.add(cached as DataLoader<number, unknown>);
    return cached;
  }

  /**
   * Rows a list query returned, as the entities the rest of the request should use. Without a
   * cache they are primed into the loader (no second statement). With one, the list keeps only
   * the ids and the entities come through their loader, which reads the cache and writes it back
   * with the version check that keeps an overtaken read out; priming the cache with rows read
   * by a list query would bypass that check.
   */
  async function adopt<R extends { id: number }>(loader: DataLoader<number, R | null>, rows: readonly R[]): Promise<R[]> {
    if (!cachedLoaders.has(loader as DataLoader<number, unknown>)) {
      for (const row of rows) loader.prime(row.id, row);
      return [...rows];
    }
    const loaded = await loader.loadMany(rows.map((row) => row.id));
    // A row deleted between the list query and the load simply drops out of the page.
    return loaded.filter((row): row is R => row !== null && !(row instanceof Error));
  }

  const byId = (row: { id: number }) => row.id;
  const cachedLoaders = new WeakSet<DataLoader<number, unknown>>();
  const codecs = {
    Product: createEntityCodec<Product>(metadata.get(Product.name)),
    Category: createEntityCodec<Category>(metadata.get(Category.name)),
    User: createEntityCodec<User>(metadata.get(User.name)),
    Review: createEntityCodec<Review>(metadata.get(Review.name)),
    Order: createEntityCodec<Order>(metadata.get(Order.name)),
  };

  return function createLoaders(em: SqlEntityManager) {
    return {
      adopt,
      category: cachedOrPlain({ typeName: 'Category', fetch: (ids) => findCategoriesByIds(em, ids), rows: recordsByIds(em, codecs.Category), keyOf: byId, codec: codecs.Category }),
      product: cachedOrPlain({ typeName: 'Product', fetch: (ids) => findProductsByIds(em, ids), rows: recordsByIds(em, codecs.Product), keyOf: byId, codec: codecs.Product }),
      user: cachedOrPlain({ typeName: 'User', fetch: (ids) => findUsersByIds(em, ids), rows: recordsByIds(em, codecs.User), keyOf: byId, codec: codecs.User }),
      review: cachedOrPlain({ typeName: 'Review', fetch: (ids) => findReviewsByIds(em, ids), rows: recordsByIds(em, codecs.Review), keyOf: byId, codec: codecs.Review }),
      order: cachedOrPlain({ typeName: 'Order', fetch: (ids) => findOrdersByIds(em, ids), rows: recordsByIds(em, codecs.Order), keyOf: byId, codec: codecs.Order }),
      // Review aggregates, cached like an entity of their own and dropped with the product's reviews.
      reviewStats: cachedOrPlain<ReviewStats>({
        typeName: 'ReviewStats',
        policyType: 'Product',
        fetch: (ids) => findReviewStats(em, ids),
        keyOf: (stats) => stats.productId,
        codec: plainCodec,
        tagsOf: (id) => [`Product:${id}:reviews`],
        // A product without reviews has no row; "no reviews" is as cacheable as any answer.
        missing: (id) => ({ productId: id, reviewCount: 0, averageRating: null }),
      }),
      reviewPage: createPagePerParentLoader({
        fetch: (ids: readonly number[], limit, after: CursorKey | null) =>
          measured('ReviewPage', (keys: readonly number[]) => findNewestReviews(em, keys, limit, after))(ids),
        parentOf: (review) => review.product.id,
        cursorKey,
      }),
      orderPage: createPagePerParentLoader({
        fetch: (ids: readonly number[], limit, after: CursorKey | null) =>
          measured('OrderPage', (keys: readonly number[]) => findNewestOrders(em, keys, limit, after))(ids),
        parentOf: (order) => order.user.id,
        cursorKey,
      }),
      orderItems: createByForeignKeyLoader({
        fetch: measured('OrderItems', (ids: readonly number[]) => findItemsOfOrders(em, ids)),
        keyOf: (item: OrderItem) => item.order.id,
      }),
    };
  };

}

export type Loaders = ReturnType<ReturnType<typeof createLoaderFactory>>;

/** The request's loader for an entity type, for rebuilding cached references. */
export function loadEntity(loaders: Loaders, typeName: string, id: string | number): Promise<unknown> {
  const key = Number(id);
  switch (typeName as EntityTypeName) {
    case 'Product':
      return loaders.product.load(key);
    case 'Category':
      return loaders.category.load(key);
    case 'User':
      return loaders.user.load(key);
    case 'Review':
      return loaders.review.load(key);
    case 'Order':
      return loaders.order.load(key);
    default:
      return Promise.reject(new Error(`No entity loader for ${typeName}`));
  }
}
