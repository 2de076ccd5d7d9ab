/**
 * Loads a dataset into PostgreSQL. Each table goes in as one `INSERT ... SELECT FROM unnest(...)`
 * per chunk of rows, which is what makes the 100,000-review `bench` set load in seconds.
 */
import type { Knex } from '@mikro-orm/postgresql';
import type { Orm } from '../orm';
import { buildDataset, type Dataset, type DatasetSize } from './dataset';

/** Rows per statement: keeps each statement's parameters well under PostgreSQL's limits. */
const CHUNK = 20_000;

interface Column<Row> {
  name: string;
  sqlType: string;
  value: (row: Row) => unknown;
}

async function insertAll<Row>(knex: Knex, table: string, columns: Column<Row>[], rows: Row[]): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    const names = columns.map((c) => c.name).join(', ');
    const arrays = columns.map((c) => `?::${c.sqlType}[]`).join(', ');
    await knex.raw(
      `insert into ${table} (${names}) select * from unnest(${arrays})`,
      columns.map((c) => chunk.map(c.value)) as unknown as Knex.ValueDict,
    );
  }
}

const TABLES = ['order_item', 'customer_order', 'review', 'session', 'product', 'app_user', 'category'];

export interface SeedOptions {
  size: DatasetSize;
  /** The stored hash for `SEED_PASSWORD`; computed once by the caller and shared by every user. */
  passwordHash: string;
}

export async function seed(orm: Orm, options: SeedOptions): Promise<Dataset> {
  const data = buildDataset(options.size);
  const knex = orm.em.getConnection().getKnex();
  await knex.transaction(async (trx) => {
    await trx.raw(`truncate ${TABLES.join(', ')} restart identity cascade`);
    await insertAll(trx, 'category', [
      { name: 'id', sqlType: 'int', value: (r) => r.id },
      { name: 'name', sqlType: 'text', value: (r) => r.name },
      { name: 'slug', sqlType: 'text', value: (r) => r.slug },
      { name: 'description', sqlType: 'text', value: (r) => r.description },
    ], data.categories);
    await insertAll(trx, 'product', [
      { name: 'id', sqlType: 'int', value: (r) => r.id },
      { name: 'sku', sqlType: 'text', value: (r) => r.sku },
      { name: 'name', sqlType: 'text', value: (r) => r.name },
      { name: 'description', sqlType: 'text', value: (r) => r.description },
      { name: 'price_cents', sqlType: 'int', value: (r) => r.priceCents },
      { name: 'currency', sqlType: 'text', value: (r) => r.currency },
      { name: 'stock', sqlType: 'int', value: (r) => r.stock },
      { name: 'category_id', sqlType: 'int', value: (r) => r.categoryId },
      { name: 'created_at', sqlType: 'timestamptz', value: (r) => r.createdAt.toISOString() },
      { name: 'updated_at', sqlType: 'timestamptz', value: (r) => r.createdAt.toISOString() },
    ], data.products);
    await insertAll(trx, 'app_user', [
      { name: 'id', sqlType: 'int', value: (r) => r.id },
      { name: 'name', sqlType: 'text', value: (r) => r.name },
      { name: 'email', sqlType: 'text', value: (r) => r.email },
      { name: 'password_hash', sqlType: 'text', value: () => options.passwordHash },
      { name: 'role', sqlType: 'text', value: (r) => r.role },
      { name: 'created_at', sqlType: 'timestamptz', value: (r) => r.createdAt.toISOString() },
    ], data.users);
    await insertAll(trx, 'review', [
      { name: 'id', sqlType: 'int', value: (r) => r.id },
      { name: 'product_id', sqlType: 'int', value: (r) => r.productId },
      { name: 'author_id', sqlType: 'int', value: (r) => r.authorId },
      { name: 'rating', sqlType: 'smallint', value: (r) => r.rating },
      { name: 'body', sqlType: 'text', value: (r) => r.body },
      { name: 'created_at', sqlType: 'timestamptz', value: (r) => r.createdAt.toISOString() },
    ], data.reviews);
    await insertAll(trx, 'customer_order', [
      { name: 'id', sqlType: 'int', value: (r) => r.id },
      { name: 'user_id', sqlType: 'int', value: (r) => r.userId },
      { name: 'status', sqlType: 'text', value: (r) => r.status },
      { name: 'total_cents', sqlType: 'int', value: (r) => r.totalCents },
      { name: 'currency', sqlType: 'text', value: (r) => r.currency },
      { name: 'created_at', sqlType: 'timestamptz', value: (r) => r.createdAt.toISOString() },
    ], data.orders);
    await insertAll(trx, 'order_item', [
      { name: 'id', sqlType: 'int', value: (r) => r.id },
      { name: 'order_id', sqlType: 'int', value: (r) => r.orderId },
      { name: 'product_id', sqlType: 'int', value: (r) => r.productId },
      { name: 'quantity', sqlType: 'int', value: (r) => r.quantity },
      { name: 'unit_price_cents', sqlType: 'int', value: (r) => r.unitPriceCents },
    ], data.orderItems);
    // Explicit ids leave the sequences behind; move them past the seeded rows.
    for (const table of ['category', 'product', 'app_user', 'review', 'customer_order', 'order_item']) {
      await trx.raw(`select setval(pg_get_serial_sequence('${table}', 'id'), greatest((select max(id) from ${table}), 1))`);
    }
  });
  await knex.raw('analyze');
  return data;
}

/** True when the catalog has no products, i.e. a fresh database worth seeding. */
export async function isEmpty(orm: Orm): Promise<boolean> {
  const rows = await orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from product');
  return rows[0]!.n === 0;
}
