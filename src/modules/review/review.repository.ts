import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { intArray } from '../../db/int-array';
import { newestPerParent } from '../../db/newest-per-parent';
import type { CursorKey } from '../common/connection';
import { Review } from './review.entity';

export interface ReviewStats {
  productId: number;
  reviewCount: number;
  /** Null when the product has no reviews. */
  averageRating: number | null;
}

/** Count and mean rating of many products in one statement. */
export async function findReviewStats(em: SqlEntityManager, productIds: readonly number[]): Promise<ReviewStats[]> {
  const rows = await em.getConnection().execute<{ product_id: number; review_count: number; average_rating: number }[]>(
    `select product_id, count(*)::int as review_count, avg(rating)::float8 as average_rating
     from review where product_id = any(?::int[]) group by product_id`,
    [intArray(productIds)],
  );
  return rows.map((r) => ({ productId: r.product_id, reviewCount: r.review_count, averageRating: r.average_rating }));
}

/** Which of these users have written at least one review, in one statement. */
export async function findReviewAuthors(em: SqlEntityManager, userIds: readonly number[]): Promise<number[]> {
  const rows = await em
    .getConnection()
    .execute<{ author_id: number }[]>('select distinct author_id from review where author_id = any(?::int[])', [intArray(userIds)]);
  return rows.map((r) => r.author_id);
}

/** Up to `limit` newest reviews of each product, in one statement. */
export function findNewestReviews(
  em: SqlEntityManager,
  productIds: readonly number[],
  limit: number,
  after: CursorKey | null,
): Promise<Review[]> {
  return newestPerParent(em, Review, {
    table: 'review',
    parentColumn: 'product_id',
    parentIds: productIds,
    limit,
    after: after && { createdAt: String(after[0]), id: after[1] },
  });
}

export function findReviewsByIds(em: SqlEntityManager, ids: readonly number[]): Promise<Review[]> {
  return em.find(Review, { id: { $in: [...ids] } });
}
