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
import { relationTag } from '../cache/keys';
import type { PolicyMap } from '../cache/policy';
import type { TwoTierCache } from '../cache/two-tier-cache';
import { createByForeignKeyLoader, createByKeyLoader } from '../loaders/by-key';
import { createCachedByKeyLoader } from '../loaders/cached-by-key';
import { InFlight } from '../cache/in-flight';
import { createPagePerParentLoader } from '../loaders/page-per-parent';
import type { CursorKey } from './common/connection';
import { Category } from './category/category.entity';
import { findCategoriesByIds } from './category/category.repository';
import { Product } from './product/product.entity';
import { findProductsByIds } from './product/product.repository';
import { Review } from './review/review.entity';
import { findNewestReviews, findReviewAuthors, findReviewsByIds, findReviewStats, type ReviewStats } from './review/review.repository';
import { User } from './user/user.entity';
import { findUsersByIds } from './user/user.repository';
import { Order, type OrderItem } from './order/order.entity';
import { findItemsOfOrders, findNewestOrders, findOrdersByIds } from './order/order.repository';

const cursorKey = (after: CursorKey) => JSON.stringify(after);
const plainCodec = <T extends object>(): EntityCodec<T> => ({
  encode: (value) => ({ ...value }) as Record<string, unknown>,
  decode: (record) => record as T,
});

/** Whether a user has written a review, which shows them to everyone as its author. */
export interface Authorship {
  userId: number;
  hasReviews: boolean;
}

export interface LoaderFactoryOptions {
  orm: Orm;
  /** Absent: every loader goes straight to the database (the cache is off). */
  cache?: TwoTierCache;
  policies: PolicyMap;
  /** Called after each database batch: which loader, how many keys, how many seconds. */
  onBatch?: (loader: string, size: number, seconds: number) => void;
}

/** The entity of each GraphQL type that has an entity loader (and so is cached by reference). */
const ENTITY_CLASSES = { Product, Category, User, Review, Order };
export type EntityTypeName = keyof typeof ENTITY_CLASSES;
export const ENTITY_TYPES = Object.keys(ENTITY_CLASSES) as EntityTypeName[];
type EntityOf<T extends EntityTypeName> = InstanceType<(typeof ENTITY_CLASSES)[T]>;

export function createLoaderFactory(options: LoaderFactoryOptions) {
  const { cache, policies, orm } = options;
  const metadata = orm.getMetadata();
  // Shared by every request: concurrent misses for one entity load it once per process.
  const inflight = new Map<string, InFlight<number, unknown>>();
  const cachedLoaders = new WeakSet<DataLoader<number, unknown>>();
  const codecs = Object.fromEntries(
    ENTITY_TYPES.map((type) => [type, createEntityCodec(metadata.get(ENTITY_CLASSES[type].name))]),
  ) as { [T in EntityTypeName]: RowCodec<EntityOf<T>> };

  /** Runs one database batch, reporting its size and time to the metrics. */
  const batch = <T>(loader: string, ids: readonly number[], load: () => Promise<T>): Promise<T> => {
    if (!options.onBatch) return load();
    const started = performance.now();
    return load().finally(() => options.onBatch!(loader, ids.length, (performance.now() - started) / 1000));
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
  }): DataLoader<number, R | null> {
    const policy = policies.types.get(loader.policyType ?? loader.typeName);
    const fetch = (ids: readonly number[]) => batch(loader.typeName, ids, () => loader.fetch(ids));
    if (!cache || !policy) return createByKeyLoader({ fetch, keyOf: loader.keyOf });
    if (!inflight.has(loader.typeName)) inflight.set(loader.typeName, new InFlight(cache));
    const cached = createCachedByKeyLoader<R>({
      ...loader,
      fetch,
      cache,
      lifetime: policy,
      inflight: inflight.get(loader.typeName) as InFlight<number, R | null>,
    });
    cachedLoaders.add(cached as DataLoader<number, unknown>);
    return cached;
  }

  /**
   * An entity loader. Without the cache it loads ORM entities (`findByIds`); with it, it reads
   * rows straight into plain records, which is what the cache stores and resolvers read anyway,
   * without building ORM entities (the costliest part of a load).
   */
  function entityLoader<T extends EntityTypeName>(
    em: SqlEntityManager,
    typeName: T,
    findByIds: (em: SqlEntityManager, ids: readonly number[]) => Promise<EntityOf<T>[]>,
  ): DataLoader<number, EntityOf<T> | null> {
    const codec = codecs[typeName] as RowCodec<EntityOf<T>>;
    const cached = cache !== undefined && policies.types.has(typeName);
    return cachedOrPlain<EntityOf<T>>({
      typeName,
      fetch: cached
        ? async (ids) => {
            const rows = await em
              .getConnection()
              .execute<Record<string, unknown>[]>(`${codec.selectFrom} where "id" = any(?::int[])`, [intArray(ids)]);
            return rows.map((row) => codec.fromRow(row));
          }
        : (ids) => findByIds(em, ids),
      keyOf: (row) => row.id,
      codec,
    });
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

  return function createLoaders(em: SqlEntityManager) {
    const entities = {
      Product: entityLoader(em, 'Product', findProductsByIds),
      Category: entityLoader(em, 'Category', findCategoriesByIds),
      User: entityLoader(em, 'User', findUsersByIds),
      Review: entityLoader(em, 'Review', findReviewsByIds),
      Order: entityLoader(em, 'Order', findOrdersByIds),
    };
    return {
      adopt,
      /** The entity loaders by GraphQL type name, for rebuilding cached references. */
      entities,
      product: entities.Product,
      category: entities.Category,
      user: entities.User,
      review: entities.Review,
      order: entities.Order,
      // Review aggregates, cached like an entity of their own and dropped with the product's reviews.
      reviewStats: cachedOrPlain<ReviewStats>({
        typeName: 'ReviewStats',
        policyType: 'Product',
        fetch: (ids) => findReviewStats(em, ids),
        keyOf: (stats) => stats.productId,
        codec: plainCodec<ReviewStats>(),
        tagsOf: reviewStatsTags,
        // A product without reviews has no row; "no reviews" is as cacheable as any answer.
        missing: (id) => ({ productId: id, reviewCount: 0, averageRating: null }),
      }),
      // Reviews are never deleted, so only a first review changes the answer, and drops it.
      authorship: cachedOrPlain<Authorship>({
        typeName: 'Authorship',
        policyType: 'User',
        fetch: async (ids) => (await findReviewAuthors(em, ids)).map((userId) => ({ userId, hasReviews: true })),
        keyOf: (row) => row.userId,
        codec: plainCodec<Authorship>(),
        tagsOf: authorshipTags,
        missing: (id) => ({ userId: id, hasReviews: false }),
      }),
      reviewPage: createPagePerParentLoader({
        fetch: (ids: readonly number[], limit, after: CursorKey | null) =>
          batch('ReviewPage', ids, () => findNewestReviews(em, ids, limit, after)),
        parentOf: (review) => review.product.id,
        cursorKey,
      }),
      orderPage: createPagePerParentLoader({
        fetch: (ids: readonly number[], limit, after: CursorKey | null) =>
          batch('OrderPage', ids, () => findNewestOrders(em, ids, limit, after)),
        parentOf: (order) => order.user.id,
        cursorKey,
      }),
      orderItems: createByForeignKeyLoader({
        fetch: (ids: readonly number[]) => batch('OrderItems', ids, () => findItemsOfOrders(em, ids)),
        keyOf: (item: OrderItem) => item.order.id,
      }),
    };
  };
}

export type Loaders = ReturnType<ReturnType<typeof createLoaderFactory>>;

/** A product's review aggregates are filed under its reviews' tag. */
function reviewStatsTags(productId: number | string): string[] {
  return [relationTag('Product', productId, 'reviews')];
}

/** Whether a user has written a review (see `authorship`) is filed under their reviews' tag. */
function authorshipTags(userId: number | string): string[] {
  return [relationTag('User', userId, 'reviews')];
}

/** The shapes of the tags the loaders file entries under beyond each entity's own. */
export const LOADER_TAG_SHAPES: readonly string[] = [...reviewStatsTags('*'), ...authorshipTags('*')];

/** The request's loader for an entity type, for rebuilding cached references. */
export function loadEntity(loaders: Loaders, typeName: string, id: string | number): Promise<unknown> {
  const loader = loaders.entities[typeName as EntityTypeName] as DataLoader<number, unknown> | undefined;
  return loader ? loader.load(Number(id)) : Promise.reject(new Error(`No entity loader for ${typeName}`));
}
