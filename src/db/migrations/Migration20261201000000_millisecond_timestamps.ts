import { Migration } from '@mikro-orm/migrations';

const COLUMNS = [
  ['product', 'created_at'],
  ['product', 'updated_at'],
  ['app_user', 'created_at'],
  ['review', 'created_at'],
  ['customer_order', 'created_at'],
] as const;

/**
 * Timestamps that lists page by are kept to the millisecond, the precision of a JavaScript
 * `Date` and so of every cursor the API issues. A row written with microseconds (a `now()`
 * default, a fix made in psql) sat between two cursor values: a page starting after it could
 * skip its neighbours or show it twice.
 */
export class Migration20261201000000_millisecond_timestamps extends Migration {
  override async up(): Promise<void> {
    for (const [table, column] of COLUMNS) this.addSql(`alter table "${table}" alter column "${column}" type timestamptz(3);`);
  }

  override async down(): Promise<void> {
    for (const [table, column] of COLUMNS) this.addSql(`alter table "${table}" alter column "${column}" type timestamptz;`);
  }
}
