import type { Resolvers } from '../../__generated__/resolvers-types';
import { requireAdmin, requireViewer } from '../context';
import { changeOrderStatus, placeOrder } from './order.service';

export const orderResolvers: Resolvers = {
  Mutation: {
    placeOrder: (_parent, { input }, context) =>
      placeOrder(context.em, context.outbox, requireViewer(context).userId, input.items),
    updateOrderStatus: (_parent, { id, status }, context) => {
      requireAdmin(context);
      return changeOrderStatus(context.em, context.outbox, { orderId: id, status });
    },
    cancelOrder: (_parent, { id }, context) =>
      changeOrderStatus(context.em, context.outbox, {
        orderId: id,
        status: 'CANCELLED',
        ownerId: requireViewer(context).userId,
        from: ['PENDING'],
      }),
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
