import { EntitySchema, type Ref } from '@mikro-orm/core';
import { Category } from '../category/category.entity';

/** A thing for sale. Prices are integer cents so no arithmetic ever rounds. */
export class Product {
  id!: number;
  sku!: string;
  name!: string;
  description!: string;
  priceCents!: number;
  currency!: string;
  stock!: number;
  category!: Ref<Category>;
  createdAt!: Date;
  updatedAt!: Date;
}

export const ProductSchema = new EntitySchema<Product>({
  class: Product,
  tableName: 'product',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    sku: { type: 'string', length: 64, unique: true },
    name: { type: 'string', length: 200 },
    description: { type: 'text' },
    priceCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    stock: { type: 'integer' },
    category: { kind: 'm:1', entity: () => Category, ref: true, index: true },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
    updatedAt: { type: 'datetime', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});
