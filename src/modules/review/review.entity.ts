import { EntitySchema, type Ref } from '@mikro-orm/core';
import { Product } from '../product/product.entity';
import { User } from '../user/user.entity';

/** One user's rating (1 to 5) and words about one product. */
export class Review {
  id!: number;
  product!: Ref<Product>;
  author!: Ref<User>;
  rating!: number;
  body!: string;
  createdAt!: Date;
}

export const ReviewSchema = new EntitySchema<Review>({
  class: Review,
  tableName: 'review',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    product: { kind: 'm:1', entity: () => Product, ref: true },
    author: { kind: 'm:1', entity: () => User, ref: true, index: true },
    rating: { type: 'smallint' },
    body: { type: 'text' },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
  },
});
