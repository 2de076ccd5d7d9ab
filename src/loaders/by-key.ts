/**
 * Generic DataLoader factories. They know nothing of the storefront: a module passes a batch
 * fetch (one SQL statement for all keys) and says how to read a row's key back.
 */
import DataLoader from 'dataloader';

export interface ByKeyLoaderOptions<K, R> {
  /** Loads every row for `keys` in one round trip; order and missing rows do not matter. */
  fetch: (keys: readonly K[]) => Promise<readonly R[]>;
  /** The key a row answers. */
  keyOf: (row: R) => K;
  /** Default 1000. Larger batches are split (PostgreSQL copes, but plans get worse). */
  maxBatchSize?: number;
}

/** One row (or null) per key, e.g. `Product` by id. */
export function createByKeyLoader<K, R>(options: ByKeyLoaderOptions<K, R>): DataLoader<K, R | null> {
  return new DataLoader<K, R | null>(
    async (keys) => {
      const rows = await options.fetch(keys);
      const byKey = new Map<K, R>();
      for (const row of rows) byKey.set(options.keyOf(row), row);
      return keys.map((key) => byKey.get(key) ?? null);
    },
    { maxBatchSize: options.maxBatchSize ?? 1000 },
  );
}

/** Every row whose foreign key is the key, e.g. the items of each order. */
export function createByForeignKeyLoader<K, R>(options: ByKeyLoaderOptions<K, R>): DataLoader<K, R[]> {
  return new DataLoader<K, R[]>(
    async (keys) => {
      const rows = await options.fetch(keys);
      const byKey = new Map<K, R[]>(keys.map((key) => [key, []]));
      for (const row of rows) byKey.get(options.keyOf(row))?.push(row);
      return keys.map((key) => byKey.get(key)!);
    },
    { maxBatchSize: options.maxBatchSize ?? 1000 },
  );
}
