import type { Resolvers } from '../../__generated__/resolvers-types';
import { NotFoundError } from '../../errors';
import { parseId } from '../common/ids';
import { listProducts } from '../product/product.resolvers';
import { findAllCategories } from './category.repository';

export const categoryResolvers: Resolvers = {
  Query: {
    category: async (_parent, { id }, context) => {
      const category = await context.loaders.category.load(parseId(id));
      if (!category) throw new NotFoundError('Category', id);
      return category;
    },
    categories: async (_parent, _args, context) => {
      return context.loaders.adopt(context.loaders.category, await findAllCategories(context.em));
    },
  },
  Category: {
    products: (category, args, context) =>
      listProducts(context, { first: args.first, after: args.after, filter: { categoryId: category.id }, orderBy: args.orderBy }),
  },
};
