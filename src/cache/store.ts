/**
 * The cache's shared tier (L2) as one narrow contract, so `TwoTierCache` does not care whether
 * it is Redis (`redis-store.ts`, shared by every instance) or this process (`memory-store.ts`,
 * a single instance or a test). Both pass one contract suite (test/integration/cache-store-contract).
 *
 * The rule every store keeps: an entry records the version of each of its tags as they stood
 * before its data was read, and is served only while every one of those versions is current.
 * `invalidate` stamps its tags with a fresh version; a version the store lost (evicted,
 * expired, restarted) reads as '' — "changed" — so losing anything never serves the past.
 *
 * Why wider than get / set-with-tags / invalidate / clear: versions are read with the entries
 * (one round trip) and checked by the caller, who also checks them against its own L1; a fill
 * creates the versions the store lacked, without overwriting one that appeared meanwhile (NX);
 * the counter (`stamp`) dates a load before any later write; `lock` lets one instance compute a
 * cold key; and "clear" is a purge that moves the key generation (`settleGeneration` step 1),
 * which every entry key carries, instead of deleting keys one by one.
 *
 * What a store alone cannot tell: a version lost right after an invalidation, then created
 * again (NX) by a fill whose load began before that invalidation, comes back at the older
 * version. The cache's own check covers it: a fill whose tags were invalidated on this instance
 * since its lookup is refused (`TwoTierCache.isCurrent`), and an acknowledged write has been
 * heard by every instance. The contract suite's property shows both halves.
 *
 * Stores never throw: a failure is `undefined` (reads, stamps, locks) or `false` (writes).
 */
import type { CircuitBreaker } from './circuit-breaker';
import type { KeySpace } from './keys';
import type { CacheEntry } from './l1';

export interface CacheStore {
  /** Whether the store can be reached now (Redis: its client is connected). */
  readonly ready: boolean;
  /** Entries of `keys` (not yet checked), the versions of `versionTags` and the generation: one round trip. */
  read(keys: readonly string[], versionTags?: readonly string[]): Promise<RemoteRead | undefined>;
  /** The current versions of `tags`, '' for one the store has none of. */
  versions(tags: readonly string[]): Promise<Map<string, string> | undefined>;
  /** Moves the invalidation counter (the version of `ANY_TAG`) on: unique and increasing. */
  stamp(): Promise<string | undefined>;
  /** Writes entries with the versions they recorded, creating missing versions (never overwriting). */
  fill(requests: readonly FillRequest[], now?: number): Promise<boolean>;
  /** Stamps `tags` with a fresh stamp, so no entry that recorded an older version is served. */
  invalidate(tags: readonly string[]): Promise<boolean>;
  /** Takes a lock on `key` for `ttlMs`: its owner token, null if held by another, undefined on failure. */
  lock(key: string, ttlMs: number): Promise<string | null | undefined>;
  /** Releases the lock on `key` only if `owner` still holds it. */
  unlock(key: string, owner: string): Promise<void>;
  /** Generation := max(store's, atLeast) + step, never back; step 1 is the purge. The one in force. */
  settleGeneration(atLeast: number, step?: 0 | 1): Promise<number | undefined>;
}

export interface FillRequest {
  key: string;
  entry: CacheEntry;
  /** The version of each of the entry's tags before its data was read: what a read checks. */
  versions: Readonly<Record<string, string>>;
  /** Tags the store had no version for: created with their value in `versions`, unless one appeared. */
  create: readonly string[];
  /** Extra milliseconds of life so entries written together do not expire together. */
  jitterMs: number;
}

/** What a read of entries found. */
export interface RemoteRead {
  /** One per key: the entry, or undefined; not yet checked against the versions. */
  entries: (RemoteEntry | undefined)[];
  /** The version of each tag asked for, '' when the store has none. */
  versions: Map<string, string>;
  generation: number;
}

/** An entry as the store keeps it: with the versions of its tags when it was computed. */
export interface RemoteEntry extends CacheEntry {
  versions: Readonly<Record<string, string>>;
}

/** The tag every invalidation bumps: a check against it refuses a fill after any write. */
export const ANY_TAG = '*';

/**
 * Tag versions are kept a day, longer than entries live: one that expires sooner only turns
 * the entries that recorded it into misses.
 */
export const VERSION_TTL_MS = 24 * 3600 * 1000;

export interface StoreEvents {
  /** One per command sent (a batch counts once). */
  onRoundTrip?: (command: string) => void;
  onError?: (operation: string, error: unknown) => void;
}

/** What `TwoTierCache` hands a store it builds: its keys, circuit breaker, counters and timeout. */
export interface StoreContext {
  keys: KeySpace;
  breaker: CircuitBreaker;
  events: StoreEvents;
  /** Milliseconds a call may take before it counts as failed. */
  timeoutMs: number;
}

export type StoreFactory = (context: StoreContext) => CacheStore;

/** An entry as a store keeps it: one JSON string, so a reader never shares the writer's objects. */
export function encodeEntry(entry: CacheEntry, versions: Readonly<Record<string, string>>): string {
  return JSON.stringify({ v: entry.value, t: entry.tags, f: entry.freshUntil, s: entry.staleUntil, r: versions });
}

export function decodeEntry(payload: string | null | undefined): RemoteEntry | undefined {
  if (payload === null || payload === undefined) return undefined;
  try {
    const parsed = JSON.parse(payload) as { v: unknown; t: string[]; f: number; s: number; r?: Record<string, string> };
    // Written before entries recorded versions: it cannot be checked, so it is a miss.
    if (!parsed.r) return undefined;
    return { value: parsed.v, tags: parsed.t, freshUntil: parsed.f, staleUntil: parsed.s, versions: parsed.r };
  } catch {
    // A corrupt entry is a miss; the next fill overwrites it.
    return undefined;
  }
}

/** How long a filled entry lives in the store: until its stale window ends, plus its jitter. */
export function entryTtlMs(request: FillRequest, now: number): number {
  return Math.max(request.entry.staleUntil - now + request.jitterMs, 1);
}
