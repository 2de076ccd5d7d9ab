/**
 * The per-request DataLoaders: every entity and relation read in a resolver goes through one
 * of these, so a request sends one statement per kind of thing it reads, whatever its shape.
 * Built fresh for each request from that request's EntityManager, so nothing is memoised
 * across requests or users.
 */
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { createByForeignKeyLoader, createByKeyLoader } from '../loaders/by-key';
import { createPagePerParentLoader } from '../loaders/page-per-parent';
import type { CursorKey } from './common/connection';
import { findCategoriesByIds } from './category/category.repository';
import { findProductsByIds } from './product/product.repository';
import { findNewestReviews, findReviewStats } from './review/review.repository';
import { findUsersByIds } from './user/user.repository';
import { findItemsOfOrders, findNewestOrders } from './order/order.repository';

const cursorKey = (after: CursorKey) => JSON.stringify(after);

export function createLoaders(em: SqlEntityManager) {
  return {
    category: createByKeyLoader({ fetch: (ids: readonly number[]) => findCategoriesByIds(em, ids), keyOf: (c) => c.id }),
    product: createByKeyLoader({ fetch: (ids: readonly number[]) => findProductsByIds(em, ids), keyOf: (p) => p.id }),
    user: createByKeyLoader({ fetch: (ids: readonly number[]) => findUsersByIds(em, ids), keyOf: (u) => u.id }),
    reviewStats: createByKeyLoader({
      fetch: (ids: readonly number[]) => findReviewStats(em, ids),
      keyOf: (s) => s.productId,
    }),
    reviewPage: createPagePerParentLoader({
      fetch: (ids: readonly number[], limit, after: CursorKey | null) => findNewestReviews(em, ids, limit, after),
      parentOf: (review) => review.product.id,
      cursorKey,
    }),
    orderPage: createPagePerParentLoader({
      fetch: (ids: readonly number[], limit, after: CursorKey | null) => findNewestOrders(em, ids, limit, after),
      parentOf: (order) => order.user.id,
      cursorKey,
    }),
    orderItems: createByForeignKeyLoader({
      fetch: (ids: readonly number[]) => findItemsOfOrders(em, ids),
      keyOf: (item) => item.order.id,
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
