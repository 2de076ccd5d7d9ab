import { LockMode, ref } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, NotFoundError } from '../../errors';
import type { EventOutbox } from '../../events/outbox';
import { parseId } from '../common/ids';
import { requireInt } from '../common/validate';
import { Product } from '../product/product.entity';
import { User } from '../user/user.entity';
import { Order, OrderItem, type OrderStatus } from './order.entity';

export interface OrderLine {
  productId: string;
  quantity: number;
}

const MAX_LINES = 50;
/** The largest value of the `total_cents` integer column (and of a GraphQL Int). */
const MAX_TOTAL_CENTS = 2_147_483_647;

/**
 * Places an order in one transaction. The products' rows are locked in id order (so two orders
 * over the same products cannot deadlock), stock is checked and taken, and the order is
 * written with its events; any failure rolls all of it back.
 */
export async function placeOrder(
  em: SqlEntityManager,
  outbox: EventOutbox,
  userId: number,
  lines: readonly OrderLine[],
): Promise<Order> {
  if (lines.length < 1 || lines.length > MAX_LINES) {
    throw new BadUserInputError(`"input.items" must hold 1 to ${MAX_LINES} lines.`, { field: 'input.items' });
  }
  const wanted = new Map<number, number>();
  lines.forEach((line, i) => {
    const productId = parseId(line.productId, `input.items[${i}].productId`);
    if (wanted.has(productId)) {
      throw new BadUserInputError(`"input.items": product ${line.productId} appears twice; give one line per product.`, {
        field: `input.items[${i}].productId`,
      });
    }
    wanted.set(productId, requireInt(line.quantity, `input.items[${i}].quantity`, 1, 10_000));
  });
  const productIds = [...wanted.keys()].sort((a, b) => a - b);

  const { order, written } = await em.transactional(async (tx) => {
    const products = await tx.find(
      Product,
      { id: { $in: productIds } },
      { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
    );
    const byId = new Map(products.map((p) => [p.id, p]));
    for (const id of productIds) {
      const product = byId.get(id);
      if (!product) {
        throw new BadUserInputError(`"input.items": no product has the id "${id}".`, { field: 'input.items', productId: String(id) });
      }
      const quantity = wanted.get(id)!;
      if (product.stock < quantity) {
        throw new BadUserInputError(
          `Only ${product.stock} of product ${id} ("${product.name}") in stock; ${quantity} asked. Lower the quantity.`,
          { field: 'input.items', reason: 'INSUFFICIENT_STOCK', productId: String(id), available: product.stock },
        );
      }
    }
    const currencies = new Set(products.map((p) => p.currency));
    if (currencies.size > 1) {
      throw new BadUserInputError('"input.items": every product of one order must share a currency.', { field: 'input.items' });
    }
    const totalCents = products.reduce((sum, p) => sum + p.priceCents * wanted.get(p.id)!, 0);
    if (totalCents > MAX_TOTAL_CENTS) {
      throw new BadUserInputError(
        `"input.items": the order's total would exceed ${MAX_TOTAL_CENTS} cents; split it into smaller orders.`,
        { field: 'input.items' },
      );
    }
    const now = new Date();
    const placed = tx.create(Order, {
      user: ref(tx.getReference(User, userId)),
      status: 'PENDING',
      totalCents,
      currency: products[0]!.currency,
      createdAt: now,
    });
    for (const product of products) {
      const quantity = wanted.get(product.id)!;
      product.stock -= quantity;
      product.updatedAt = now;
      tx.create(OrderItem, { order: ref(placed), product: ref(product), quantity, unitPriceCents: product.priceCents });
    }
    await tx.flush();
    const events = await outbox.record(tx, [
      { type: 'OrderPlaced', orderId: placed.id, userId, productIds },
      ...productIds.map((productId) => ({
        type: 'ProductUpdated' as const,
        productId,
        fields: ['stock', 'updatedAt'],
        categoryIds: [],
      })),
    ]);
    return { order: placed, written: events };
  });

  await outbox.publish(written);
  return order;
}

/** Where an order may go from each status; a cancelled or shipped order stays as it is. */
const NEXT_STATUSES: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['PAID', 'CANCELLED'],
  PAID: ['SHIPPED', 'CANCELLED'],
  SHIPPED: [],
  CANCELLED: [],
};

const ORDER_STATUSES = Object.keys(NEXT_STATUSES) as OrderStatus[];

export interface OrderStatusChange {
  orderId: string;
  status: OrderStatus;
  /** Only this user's order may change (`cancelOrder`); absent: any order (back office). */
  ownerId?: number;
  /** Statuses the order must be in; default: any from which `status` may be reached. */
  from?: readonly OrderStatus[];
}

/**
 * Moves an order to another status in one transaction: the order's row is locked, the move
 * checked, and, for a cancellation, its items' units go back into stock. The events (the
 * status change, and each restocked product's) are recorded with it and published once
 * committed.
 */
export async function changeOrderStatus(em: SqlEntityManager, outbox: EventOutbox, change: OrderStatusChange): Promise<Order> {
  const orderId = parseId(change.orderId);
  if (!ORDER_STATUSES.includes(change.status)) {
    throw new BadUserInputError(`"status" must be one of ${ORDER_STATUSES.join(', ')}.`, { field: 'status' });
  }
  const { order, written } = await em.transactional(async (tx) => {
    const [row] = await tx.execute<{ user_id: number; status: OrderStatus }[]>(
      'select user_id, status from customer_order where id = ? for update',
      [orderId],
    );
    // Someone else's order is answered like a missing one: its existence is not theirs to learn.
    if (!row || (change.ownerId !== undefined && row.user_id !== change.ownerId)) throw new NotFoundError('Order', change.orderId);
    const allowed = change.from ?? ORDER_STATUSES.filter((from) => NEXT_STATUSES[from].includes(change.status));
    if (!allowed.includes(row.status) || !NEXT_STATUSES[row.status].includes(change.status)) {
      throw new BadUserInputError(`Order ${change.orderId} is ${row.status}; it cannot become ${change.status}.`, {
        field: 'status',
        reason: 'INVALID_TRANSITION',
        current: row.status,
      });
    }
    await tx.execute('update customer_order set status = ? where id = ?', [change.status, orderId]);
    let restocked: number[] = [];
    if (change.status === 'CANCELLED') {
      const rows = await tx.execute<{ id: number }[]>(
        `update product p set stock = p.stock + i.quantity, updated_at = now()
         from order_item i where i.order_id = ? and i.product_id = p.id returning p.id`,
        [orderId],
      );
      restocked = rows.map((product) => product.id).sort((a, b) => a - b);
    }
    const written = await outbox.record(tx, [
      { type: 'OrderStatusChanged', orderId, userId: row.user_id, from: row.status, status: change.status },
      ...restocked.map((productId) => ({ type: 'ProductUpdated' as const, productId, fields: ['stock', 'updatedAt'], categoryIds: [] })),
    ]);
    const order = await tx.findOneOrFail(Order, { id: orderId }, { refresh: true });
    return { order, written };
  });
  await outbox.publish(written);
  return order;
}
