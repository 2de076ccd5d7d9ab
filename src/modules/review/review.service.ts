import { ref } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../../errors';
import type { EventOutbox } from '../../events/outbox';
import { parseId } from '../common/ids';
import { requireInt, requireText } from '../common/validate';
import { Product } from '../product/product.entity';
import { User } from '../user/user.entity';
import { Review } from './review.entity';

export interface AddReviewFields {
  productId: string;
  rating: number;
  body: string;
}

export async function addReview(
  em: SqlEntityManager,
  outbox: EventOutbox,
  authorId: number,
  input: AddReviewFields,
): Promise<Review> {
  const productId = parseId(input.productId, 'input.productId');
  const rating = requireInt(input.rating, 'input.rating', 1, 5);
  const body = requireText(input.body, 'input.body', 1, 5000);
  const { review, written } = await em.transactional(async (tx) => {
    if (!(await tx.count(Product, { id: productId }))) throw new NotFoundError('Product', input.productId);
    const created = tx.create(Review, {
      product: ref(tx.getReference(Product, productId)),
      author: ref(tx.getReference(User, authorId)),
      rating,
      body,
      createdAt: new Date(),
    });
    await tx.flush();
    return { review: created, written: await outbox.record(tx, [{ type: 'ReviewAdded', reviewId: created.id, productId, authorId }]) };
  });
  await outbox.publish(written);
  return review;
}
