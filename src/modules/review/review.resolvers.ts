import type { Resolvers } from '../../__generated__/resolvers-types';
import { requireViewer } from '../context';
import { addReview } from './review.service';

export const reviewResolvers: Resolvers = {
  Mutation: {
    addReview: (_parent, { input }, context) =>
      addReview(context.em, context.outbox, requireViewer(context).userId, input),
  },
  Review: {
    author: async (review, _args, context) => {
      const user = await context.loaders.user.load(review.author.id);
      if (!user) throw new Error(`Author ${review.author.id} of review ${review.id} is missing`);
      return user;
    },
    product: async (review, _args, context) => {
      const product = await context.loaders.product.load(review.product.id);
      if (!product) throw new Error(`Product ${review.product.id} of review ${review.id} is missing`);
      return product;
    },
  },
};
