/**
 * An entity loader that reads through the two-tier cache: a batch asks L1, then Redis in one
 * round trip, loads only what is still missing from the database in one statement, and writes
 * it back in one pipelined round trip. Concurrent misses for the same entity in this process
 * share one database load.
 */
import DataLoader from 'dataloader';
import type { EntityCodec } from '../db/entity-codec';
import { cacheDebug } from '../cache/cache-debug';
import { entityTag } from '../cache/keys';
import { touchTags } from '../cache/request-scope';
import type { InFlight } from '../cache/in-flight';
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
  inflight: InFlight<number, R | null>;
  /** Default 1000. */
  maxBatchSize?: number;
}

/**
 * Records, for every caller of `load`, that what it builds read the entity's tags at the versions
 * its entry holds. In the caller's own async context: a batch runs in the context of whichever
 * caller dispatched it, so a field computing beside others would be told of their entities, and
 * they of none.
 */
class TouchingLoader<R> extends DataLoader<number, R | null> {
  constructor(
    batch: DataLoader.BatchLoadFn<number, R | null>,
    options: DataLoader.Options<number, R | null>,
    private readonly touch: (id: number) => void,
  ) {
    super(batch, options);
  }

  override load(id: number): Promise<R | null> {
    return super.load(id).then((value) => {
      this.touch(id);
      return value;
    });
  }
}

export function createCachedByKeyLoader<R>(options: CachedByKeyLoaderOptions<R>): DataLoader<number, R | null> {
  const { typeName, cache, codec, inflight } = options;
  const tagsOf = options.tagsOf ?? ((id: number) => [entityTag(typeName, id)]);
  const keyOf = (id: number) => cache.keys.entity(typeName, id);
  const decode = (value: unknown) => (value === null ? null : codec.decode(value));
  /** Per id, the Redis versions of its tags what answers it was read under or checked against. */
  const versionsOf = new Map<number, Readonly<Record<string, string>> | undefined>();

  return new TouchingLoader<R>(
    async (ids) => {
      const results = new Map<number, R | null | Promise<R | null>>();
      const debug = cacheDebug();
      // Loads already under way in this process are shared, not looked up again.
      const lookupIds = ids.filter((id) => {
        const pending = inflight.joinable(id);
        if (pending) {
          results.set(id, pending);
          versionsOf.set(id, inflight.versionsOf(id, tagsOf(id)));
          debug?.note({ source: typeName, key: keyOf(id), tier: 'shared', tags: tagsOf(id) });
        }
        return !pending;
      });
      const { entries, token } = await cache.lookup(typeName, lookupIds.map(keyOf), lookupIds.flatMap(tagsOf));
      const toLoad: number[] = [];
      lookupIds.forEach((id, i) => {
        const entry = entries[i];
        // A load that finished while our lookup was on its way has left its value in L1, or is
        // still registered: either way, no second statement.
        const found = entry ?? cache.peek(keyOf(id));
        const pending = inflight.joinable(id);
        if (found) results.set(id, decode(found.value));
        else if (pending) results.set(id, pending);
        else toLoad.push(id);
        versionsOf.set(id, found ? found.versions : pending ? inflight.versionsOf(id, tagsOf(id)) : cache.versionsAt(token, tagsOf(id)));
        if (!entry && (found || pending)) debug?.amend(keyOf(id), { tier: found ? 'L1' : 'shared' });
      });
      if (toLoad.length > 0) {
        const rows = options.fetch(toLoad).then((found) => {
          const byId = new Map(found.map((row) => [options.keyOf(row), row]));
          if (options.missing) for (const id of toLoad) if (!byId.has(id)) byId.set(id, options.missing(id));
          for (const id of toLoad) if (!byId.has(id)) debug?.amend(keyOf(id), { notStored: 'no row has this id: absences are not cached' });
          return byId;
        });
        // Without `missing`, absent rows are not cached: a created row must show at once, with
        // no negative entries to invalidate.
        const stored = rows.then((byId) =>
          cache.fill(
            [...byId.entries()].map(([id, row]) => ({
              key: keyOf(id),
              value: codec.encode(row),
              tags: tagsOf(id),
              lifetime: options.lifetime,
              checkTags: tagsOf(id),
            })),
            token,
          ),
        );
        for (const id of toLoad) {
          const one = rows.then((byId) => byId.get(id) ?? null);
          results.set(id, one);
          inflight.register(id, one, token, tagsOf(id), stored);
        }
      }
      return Promise.all(ids.map((id) => results.get(id)!));
    },
    { maxBatchSize: options.maxBatchSize ?? 1000 },
    // The response is built from these entities: the whole-response tier files it under them.
    (id) => touchTags(tagsOf(id), versionsOf.get(id)),
  );
}
