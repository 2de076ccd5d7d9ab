/**
 * The top-N-per-parent query behind nested paginated lists (`reviews(first: 3)` on 50 products):
 * a window function ranks each parent's rows newest first, so one statement serves every parent.
 */
import type { EntityDictionary, EntityName } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { intArray } from './int-array';

export interface NewestPerParentOptions {
  /** Table holding the children, with `id` and `created_at` columns. */
  table: string;
  /** Column naming the parent, e.g. `product_id`. */
  parentColumn: string;
  parentIds: readonly number[];
  /** Rows per parent at most. */
  limit: number;
  /** Only rows strictly older than this position (a previous page's last row). */
  after: { createdAt: string; id: number } | null;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Returns entities ordered by parent, then newest first within each parent. */
export async function newestPerParent<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  options: NewestPerParentOptions,
): Promise<T[]> {
  const { table, parentColumn } = options;
  // Identifiers come from module code, never from clients; still, refuse anything odd.
  if (!IDENTIFIER.test(table) || !IDENTIFIER.test(parentColumn)) throw new Error(`Bad identifier: ${table}.${parentColumn}`);
  const params: unknown[] = [intArray(options.parentIds)];
  let afterClause = '';
  if (options.after) {
    afterClause = 'and (x.created_at, x.id) < (?::timestamptz, ?)';
    params.push(options.after.createdAt, options.after.id);
  }
  params.push(options.limit);
  const rows = await em.getConnection().execute<Record<string, unknown>[]>(
    `select t.* from (
       select x.*, row_number() over (partition by x.${parentColumn} order by x.created_at desc, x.id desc) as page_rank
       from ${table} x
       where x.${parentColumn} = any(?::int[]) ${afterClause}
     ) t
     where t.page_rank <= ?
     order by t.${parentColumn}, t.page_rank`,
    params,
  );
  return rows.map(({ page_rank: _rank, ...row }) => em.map(entity, row as EntityDictionary<T>));
}
