import { LockMode, ref } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError } from '../../errors';
import type { EventOutbox } from '../../events/outbox';
import { parseId } from '../common/ids';
import { requireInt } from '../common/validate';
import { Product } from '../product/product.entity';
import { User } from '../user/user.entity';
import { Order, OrderItem } from './order.entity';

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
