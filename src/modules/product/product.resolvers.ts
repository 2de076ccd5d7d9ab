import type { ProductFilter, Resolvers } from '../../__generated__/resolvers-types';
import { BadUserInputError, NotFoundError } from '../../errors';
import { decodeCursor, newestKey, pageSize, toConnection } from '../common/connection';
import { parseId } from '../common/ids';
import { requireNoNul } from '../common/validate';
import { requireAdmin, type Context } from '../context';
import type { ProductConnectionModel } from '../models';
import { findProductPage, productCursorSort, productSortKey, type ProductListFilter, type ProductOrder } from './product.repository';
import { adjustStock, createProduct, updateProduct } from './product.service';

function toListFilter(filter: ProductFilter | null | undefined): ProductListFilter {
  const result: ProductListFilter = {};
  if (!filter) return result;
  if (filter.categoryId != null) result.categoryId = parseId(filter.categoryId, 'filter.categoryId');
  if (filter.search != null && filter.search.trim() !== '') {
    result.search = requireNoNul(filter.search.trim().slice(0, 200), 'filter.search');
  }
  for (const bound of ['minPriceCents', 'maxPriceCents'] as const) {
    const value = filter[bound];
    if (value == null) continue;
    if (value < 0) throw new BadUserInputError(`"filter.${bound}" must be zero or more.`, { field: `filter.${bound}` });
    result[bound] = value;
  }
  if (result.minPriceCents !== undefined && result.maxPriceCents !== undefined && result.minPriceCents > result.maxPriceCents) {
    throw new BadUserInputError('"filter.minPriceCents" must not exceed "filter.maxPriceCents".', { field: 'filter.minPriceCents' });
  }
  return result;
}

/** A page of products: one statement; the rows are adopted by the request's product loader. */
export async function listProducts(
  context: Context,
  args: { first?: number | null; after?: string | null; filter: ProductListFilter; orderBy?: ProductOrder | null },
): Promise<ProductConnectionModel> {
  const order = args.orderBy ?? 'NEWEST';
  const first = pageSize(args.first, 20);
  const after = decodeCursor(args.after, 'after', productCursorSort(order));
  const rows = await findProductPage(context.em, { filter: args.filter, order, limit: first + 1, after });
  const page = rows.slice(0, first);
  // Later `product(id)` reads in this request find these rows without another statement.
  const products = await context.loaders.adopt(context.loaders.product, page);
  return toConnection(products, { hasNextPage: rows.length > first, after }, productSortKey(order));
}

export const productResolvers: Resolvers = {
  Query: {
    product: async (_parent, { id }, context) => {
      const product = await context.loaders.product.load(parseId(id));
      if (!product) throw new NotFoundError('Product', id);
      return product;
    },
    products: (_parent, args, context) =>
      listProducts(context, { first: args.first, after: args.after, filter: toListFilter(args.filter), orderBy: args.orderBy }),
  },
  Mutation: {
    createProduct: (_parent, { input }, context) => {
      requireAdmin(context);
      return createProduct(context.em, context.outbox, input);
    },
    updateProduct: (_parent, { id, input }, context) => {
      requireAdmin(context);
      return updateProduct(context.em, context.outbox, id, input);
    },
    adjustStock: (_parent, { id, delta }, context) => {
      requireAdmin(context);
      return adjustStock(context.em, context.outbox, id, delta);
    },
  },
  Product: {
    category: async (product, _args, context) => {
      const category = await context.loaders.category.load(product.category.id);
      // A foreign key guarantees the row; its absence is a bug, not a client error.
      if (!category) throw new Error(`Category ${product.category.id} of product ${product.id} is missing`);
      return category;
    },
    averageRating: async (product, _args, context) =>
      (await context.loaders.reviewStats.load(product.id))?.averageRating ?? null,
    reviewCount: async (product, _args, context) => (await context.loaders.reviewStats.load(product.id))?.reviewCount ?? 0,
    reviews: async (product, args, context) => {
      const first = pageSize(args.first, 10);
      const after = decodeCursor(args.after, 'after', 'timestamp');
      const page = await context.loaders.reviewPage.load({ parentId: product.id, first, after });
      const reviews = await context.loaders.adopt(context.loaders.review, page.rows);
      return toConnection(reviews, { hasNextPage: page.hasNextPage, after }, newestKey, product.id);
    },
  },
  ReviewConnection: {
    totalCount: async (connection, _args, context) =>
      connection.parentId === undefined ? 0 : ((await context.loaders.reviewStats.load(connection.parentId))?.reviewCount ?? 0),
  },
};
