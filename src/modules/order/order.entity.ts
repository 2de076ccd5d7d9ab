import { EntitySchema, type Ref } from '@mikro-orm/core';
import { Product } from '../product/product.entity';
import { User } from '../user/user.entity';

export type OrderStatus = 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELLED';

/** A user's purchase. Its total is fixed when placed, from the prices of that moment. */
export class Order {
  id!: number;
  user!: Ref<User>;
  status!: OrderStatus;
  totalCents!: number;
  currency!: string;
  createdAt!: Date;
}

/** One line of an order; `unitPriceCents` is the price when the order was placed. */
export class OrderItem {
  id!: number;
  order!: Ref<Order>;
  product!: Ref<Product>;
  quantity!: number;
  unitPriceCents!: number;
}

export const OrderSchema = new EntitySchema<Order>({
  class: Order,
  // `order` is a reserved word in SQL.
  tableName: 'customer_order',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    user: { kind: 'm:1', entity: () => User, ref: true },
    status: { type: 'string', length: 16 },
    totalCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
  },
});

export const OrderItemSchema = new EntitySchema<OrderItem>({
  class: OrderItem,
  tableName: 'order_item',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    order: { kind: 'm:1', entity: () => Order, ref: true, index: true },
    product: { kind: 'm:1', entity: () => Product, ref: true, index: true },
    quantity: { type: 'integer' },
    unitPriceCents: { type: 'integer' },
  },
});
