import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { CursorKey, CursorSort } from '../common/connection';
import { Product } from './product.entity';

export type ProductOrder = 'NEWEST' | 'PRICE_ASC' | 'PRICE_DESC' | 'NAME_ASC';

export interface ProductListFilter {
  categoryId?: number;
  search?: string;
  minPriceCents?: number;
  maxPriceCents?: number;
}

/** For each order: the sort column, its entity property and the direction of the keyset. */
const ORDERS: Record<ProductOrder, { column: string; property: keyof Product; direction: 'asc' | 'desc'; sort: CursorSort }> = {
  NEWEST: { column: 'created_at', property: 'createdAt', direction: 'desc', sort: 'timestamp' },
  PRICE_ASC: { column: 'price_cents', property: 'priceCents', direction: 'asc', sort: 'integer' },
  PRICE_DESC: { column: 'price_cents', property: 'priceCents', direction: 'desc', sort: 'integer' },
  NAME_ASC: { column: 'name', property: 'name', direction: 'asc', sort: 'text' },
};

/** The type of the sort value in cursors of a list ordered by `order`. */
export function productCursorSort(order: ProductOrder): CursorSort {
  return ORDERS[order].sort;
}

/** The cursor position of a product in a list ordered by `order`. */
export function productSortKey(order: ProductOrder): (product: Product) => CursorKey {
  const { property } = ORDERS[order];
  return (product) => {
    const value = product[property];
    return [value instanceof Date ? value.toISOString() : (value as string | number), product.id];
  };
}

export function findProductsByIds(em: SqlEntityManager, ids: readonly number[]): Promise<Product[]> {
  return em.find(Product, { id: { $in: [...ids] } });
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** One page of products in one statement; fetches `limit` rows (callers ask one extra). */
export async function findProductPage(
  em: SqlEntityManager,
  options: { filter: ProductListFilter; order: ProductOrder; limit: number; after: CursorKey | null },
): Promise<Product[]> {
  const { column, property, direction } = ORDERS[options.order];
  const qb = em.createQueryBuilder(Product, 'p').select('*');
  const { categoryId, search, minPriceCents, maxPriceCents } = options.filter;
  if (categoryId !== undefined) qb.andWhere({ category: categoryId });
  if (minPriceCents !== undefined) qb.andWhere({ priceCents: { $gte: minPriceCents } });
  if (maxPriceCents !== undefined) qb.andWhere({ priceCents: { $lte: maxPriceCents } });
  if (search) {
    const pattern = `%${escapeLike(search)}%`;
    qb.andWhere('(p.name ilike ? or p.description ilike ?)', [pattern, pattern]);
  }
  if (options.after) {
    const [value, id] = options.after;
    const cast = column === 'created_at' ? '::timestamptz' : '';
    qb.andWhere(`(p.${column}, p.id) ${direction === 'asc' ? '>' : '<'} (?${cast}, ?)`, [value, id]);
  }
  qb.orderBy({ [property]: direction, id: direction }).limit(options.limit);
  return qb.getResultList();
}
