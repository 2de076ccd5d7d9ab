/**
 * The shared tier kept in this process: the same contract and rules as the Redis store (see
 * store.ts), for a single instance without Redis and for tests. Entries, tag versions and locks
 * expire as Redis's keys would; a bound on the number of keys evicts the oldest, which the
 * versions rule tolerates as Redis's `allkeys-lru` is tolerated (lost means changed).
 *
 * Every call answers at once and never fails, so it neither counts round trips nor asks the
 * circuit breaker: there is no remote to protect.
 */
import { randomUUID } from 'node:crypto';
import {
  ANY_TAG,
  decodeEntry,
  encodeEntry,
  entryTtlMs,
  VERSION_TTL_MS,
  type CacheStore,
  type FillRequest,
  type RemoteRead,
  type StoreFactory,
} from './store';

export interface MemoryStoreOptions {
  /** Default 100,000. Keys (entries, versions, locks, each counted on its own) kept at most. */
  maxKeys?: number;
  /** Default `Date.now`. The clock expiry is measured by (tests move it by hand). */
  clock?: () => number;
}

/** A map whose values expire, and whose oldest keys go first when it is full. */
class ExpiringMap {
  private readonly items = new Map<string, { value: string; expiresAt: number }>();

  constructor(
    private readonly maxKeys: number,
    private readonly clock: () => number,
  ) {}

  get(key: string): string | undefined {
    const item = this.items.get(key);
    if (item && item.expiresAt <= this.clock()) this.items.delete(key);
    return item && item.expiresAt > this.clock() ? item.value : undefined;
  }

  /** Like Redis SET with PX (and NX when `onlyIfAbsent`): whether it was set. */
  set(key: string, value: string, ttlMs: number, onlyIfAbsent = false): boolean {
    if (onlyIfAbsent && this.get(key) !== undefined) return false;
    // Delete first so a rewritten key counts as the newest.
    this.items.delete(key);
    this.items.set(key, { value, expiresAt: this.clock() + ttlMs });
    while (this.items.size > this.maxKeys) this.items.delete(this.items.keys().next().value!);
    return true;
  }

  delete(key: string): void {
    this.items.delete(key);
  }

  get size(): number {
    return this.items.size;
  }
}

export class MemoryStore implements CacheStore {
  readonly ready = true;
  private readonly clock: () => number;
  private readonly entries: ExpiringMap;
  /** Per tag, its version; `ANY_TAG`'s is the invalidation counter. */
  private readonly tagVersions: ExpiringMap;
  private readonly locks: ExpiringMap;
  private generation = 0;
  /** The last stamp handed out: kept apart from the counter, which may be evicted like any key. */
  private lastStamp = 0;

  constructor(options: MemoryStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 100_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new TypeError(`MemoryStore: maxKeys must be a positive integer, got ${maxKeys}`);
    this.clock = options.clock ?? Date.now;
    this.entries = new ExpiringMap(maxKeys, this.clock);
    this.tagVersions = new ExpiringMap(maxKeys, this.clock);
    this.locks = new ExpiringMap(maxKeys, this.clock);
  }

  read(keys: readonly string[], versionTags: readonly string[] = []): Promise<RemoteRead | undefined> {
    const versions = new Map(versionTags.map((tag) => [tag, this.tagVersions.get(tag) ?? '']));
    return Promise.resolve({ entries: keys.map((key) => decodeEntry(this.entries.get(key))), versions, generation: this.generation });
  }

  versions(tags: readonly string[]): Promise<Map<string, string> | undefined> {
    return Promise.resolve(new Map(tags.map((tag) => [tag, this.tagVersions.get(tag) ?? ''])));
  }

  /**
   * The clock in microseconds, or one past the last stamp: unique and increasing even when the
   * counter was evicted (Redis has only its clock to go by then; this process remembers).
   */
  stamp(): Promise<string | undefined> {
    return Promise.resolve(this.nextStamp());
  }

  private nextStamp(): string {
    const stamp = Math.max(this.clock() * 1000, this.lastStamp + 1, Number(this.tagVersions.get(ANY_TAG) ?? 0) + 1);
    this.lastStamp = stamp;
    const text = String(stamp);
    this.tagVersions.set(ANY_TAG, text, VERSION_TTL_MS);
    return text;
  }

  fill(requests: readonly FillRequest[], now = Date.now()): Promise<boolean> {
    for (const request of requests) {
      for (const tag of request.create) this.tagVersions.set(tag, request.versions[tag]!, VERSION_TTL_MS, true);
      this.entries.set(request.key, encodeEntry(request.entry, request.versions), entryTtlMs(request, now));
    }
    return Promise.resolve(true);
  }

  invalidate(tags: readonly string[]): Promise<boolean> {
    if (tags.length === 0) return Promise.resolve(true);
    const stamp = this.nextStamp();
    for (const tag of tags) this.tagVersions.set(tag, stamp, VERSION_TTL_MS);
    return Promise.resolve(true);
  }

  lock(key: string, ttlMs: number): Promise<string | null | undefined> {
    const owner = randomUUID();
    return Promise.resolve(this.locks.set(key, owner, ttlMs, true) ? owner : null);
  }

  unlock(key: string, owner: string): Promise<void> {
    if (this.locks.get(key) === owner) this.locks.delete(key);
    return Promise.resolve();
  }

  settleGeneration(atLeast: number, step: 0 | 1 = 0): Promise<number | undefined> {
    this.generation = Math.max(this.generation, atLeast) + step;
    return Promise.resolve(this.generation);
  }

  /** Keys held (entries, versions and locks), expired ones included until next touched. */
  get size(): number {
    return this.entries.size + this.tagVersions.size + this.locks.size;
  }
}

/**
 * For `TwoTierCache`'s `store` option: a memory store. Pass one `MemoryStore` to several caches
 * to have them share it, as instances share Redis.
 */
export function memoryStore(store: MemoryStore = new MemoryStore()): StoreFactory {
  return () => store;
}
