import { EntitySchema } from '@mikro-orm/core';

/** A shelf of the storefront; every product sits in exactly one. */
export class Category {
  id!: number;
  name!: string;
  slug!: string;
  description?: string | null;
}

export const CategorySchema = new EntitySchema<Category>({
  class: Category,
  tableName: 'category',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    name: { type: 'string', length: 120 },
    slug: { type: 'string', length: 120, unique: true },
    description: { type: 'text', nullable: true },
  },
});
