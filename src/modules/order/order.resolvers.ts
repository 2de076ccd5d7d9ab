import type { Resolvers } from '../../__generated__/resolvers-types';
import { requireViewer } from '../context';
import { placeOrder } from './order.service';

export const orderResolvers: Resolvers = {
  Mutation: {
    placeOrder: (_parent, { input }, context) =>
      placeOrder(context.em, context.outbox, requireViewer(context).userId, input.items),
  },
  Order: {
    items: (order, _args, context) => context.loaders.orderItems.load(order.id),
  },
  OrderItem: {
    product: async (item, _args, context) => {
      const product = await context.loaders.product.load(item.product.id);
      if (!product) throw new Error(`Product ${item.product.id} of order item ${item.id} is missing`);
      return product;
    },
  },
};
