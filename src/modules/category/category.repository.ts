import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { Category } from './category.entity';

export function findCategoriesByIds(em: SqlEntityManager, ids: readonly number[]): Promise<Category[]> {
  return em.find(Category, { id: { $in: [...ids] } });
}

export function findAllCategories(em: SqlEntityManager): Promise<Category[]> {
  return em.find(Category, {}, { orderBy: { name: 'asc', id: 'asc' } });
}
