/**
 * An entity loader that reads through the two-tier cache: a batch asks L1, then Redis in one
 * round trip, loads only what is still missing from the database in one statement, and writes
 * it back in one pipelined round trip. Concurrent misses for the same entity in this process
 * share one database load.
 */
import DataLoader from 'dataloader';
import type { EntityCodec } from '../db/entity-codec';
import { entityTag } from '../cache/keys';
import type { Lifetime, TwoTierCache } from '../cache/two-tier-cache';

export interface CachedByKeyLoaderOptions<R> {
  /** GraphQL type name, also the cache's name for the entity, e.g. `Product`. */
  typeName: string;
  cache: TwoTierCache;
  lifetime: Lifetime;
  codec: EntityCodec<R>;
  /** Loads rows for ids in one statement. */
  fetch: (ids: readonly number[]) => Promise<readonly R[]>;
  keyOf: (row: R) => number;
  /** Tags of one key's entry; default the entity's own tag, e.g. `Product:42`. */
  tagsOf?: (id: number) => string[];
  /** The value for an id the database has no row for; default: not cached, answered null. */
  missing?: (id: number) => R;
  /** Loads in flight in this process, shared by every request's loader for this type. */
  inflight: Map<number, Promise<R | null>>;
  /** Default 1000. */
  maxBatchSize?: number;
}

export function createCachedByKeyLoader<R>(options: CachedByKeyLoaderOptions<R>): DataLoader<number, R | null> {
  const { typeName, cache, codec, inflight } = options;
  const tagsOf = options.tagsOf ?? ((id: number) => [entityTag(typeName, id)]);
  return new DataLoader<number, R | null>(
    async (ids) => {
      const { entries, token } = await cache.lookup(
        typeName,
        ids.map((id) => cache.keys.entity(typeName, id)),
        ids.flatMap(tagsOf),
      );
      const results: (R | null | Promise<R | null>)[] = entries.map((entry) =>
        entry ? (entry.value === null ? null : codec.decode(entry.value)) : null,
      );
      const toLoad: number[] = [];
      ids.forEach((id, i) => {
        if (entries[i]) return;
        const pending = inflight.get(id);
        if (pending) results[i] = pending;
        else toLoad.push(id);
      });
      if (toLoad.length > 0) {
        const load = options.fetch(toLoad).then((rows) => {
          const byId = new Map(rows.map((row) => [options.keyOf(row), row]));
          if (options.missing) for (const id of toLoad) if (!byId.has(id)) byId.set(id, options.missing(id));
          // Without `missing`, absent rows are not cached: a created row must show at once,
          // with no negative entries to invalidate.
          void cache.fill(
            [...byId.entries()].map(([id, row]) => ({
              key: cache.keys.entity(typeName, id),
              value: codec.encode(row),
              tags: tagsOf(id),
              lifetime: options.lifetime,
              checkTags: tagsOf(id),
            })),
            token,
          );
          return byId;
        });
        const mine = new Map<number, Promise<R | null>>();
        for (const id of toLoad) {
          const one = load.then((byId) => byId.get(id) ?? null);
          mine.set(id, one);
          inflight.set(id, one);
          const forget = () => {
            if (inflight.get(id) === one) inflight.delete(id);
          };
          one.then(forget, forget);
        }
        ids.forEach((id, i) => {
          const one = mine.get(id);
          if (one) results[i] = one;
        });
      }
      return Promise.all(results);
    },
    { maxBatchSize: options.maxBatchSize ?? 1000 },
  );
}
