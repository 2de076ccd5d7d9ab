import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { newestPerParent } from '../../db/newest-per-parent';
import type { CursorKey } from '../common/connection';
import { Order, OrderItem } from './order.entity';

/** Up to `limit` newest orders of each user, in one statement. */
export function findNewestOrders(
  em: SqlEntityManager,
  userIds: readonly number[],
  limit: number,
  after: CursorKey | null,
): Promise<Order[]> {
  return newestPerParent(em, Order, {
    table: 'customer_order',
    parentColumn: 'user_id',
    parentIds: userIds,
    limit,
    after: after && { createdAt: String(after[0]), id: after[1] },
  });
}

export function findItemsOfOrders(em: SqlEntityManager, orderIds: readonly number[]): Promise<OrderItem[]> {
  return em.find(OrderItem, { order: { $in: [...orderIds] } }, { orderBy: { id: 'asc' } });
}

export function findOrdersByIds(em: SqlEntityManager, ids: readonly number[]): Promise<Order[]> {
  return em.find(Order, { id: { $in: [...ids] } });
}
