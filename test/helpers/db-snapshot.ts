/**
 * A fingerprint of every table's rows (count plus an md5 of all rows in id order), so a test can
 * prove a refused request left the database exactly as it was.
 */
import type { Database } from '../../src/db/orm';

/** Every table the API writes to (sessions included: a failed login must not leave one). */
export const SNAPSHOT_TABLES = ['category', 'product', 'app_user', 'review', 'customer_order', 'order_item', 'session'] as const;

export type TableFingerprint = { rows: number; md5: string };
export type DatabaseSnapshot = Record<(typeof SNAPSHOT_TABLES)[number], TableFingerprint>;

export async function snapshotDatabase(database: Database): Promise<DatabaseSnapshot> {
  // A separate connection from the pool: sees only committed rows.
  const connection = database.orm.em.fork().getConnection();
  const snapshot = {} as DatabaseSnapshot;
  for (const table of SNAPSHOT_TABLES) {
    const [row] = await connection.execute<{ rows: number; md5: string }[]>(
      `select count(*)::int as rows, coalesce(md5(string_agg(t::text, ',' order by t.id)), '') as md5 from ${table} t`,
    );
    snapshot[table] = { rows: row!.rows, md5: row!.md5 };
  }
  return snapshot;
}

/** Runs `action`, then checks that no table changed; returns what `action` returned. */
export async function expectDatabaseUnchanged<T>(database: Database, action: () => Promise<T>): Promise<T> {
  const before = await snapshotDatabase(database);
  const result = await action();
  expect(await snapshotDatabase(database)).toEqual(before);
  return result;
}
