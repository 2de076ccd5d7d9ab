/**
 * L1: a bounded in-process LRU of decoded entries, indexed by tag so an invalidation drops
 * exactly the entries built from what changed. It holds each entry for at most `maxTtlMs`
 * (less a random share), however long the policy allows, so an instance that somehow missed an
 * invalidation heals quickly.
 */
import { LRUCache } from 'lru-cache';

export interface CacheEntry<T = unknown> {
  value: T;
  tags: readonly string[];
  /** Epoch ms until which the entry is fresh. */
  freshUntil: number;
  /** Epoch ms until which it may be served stale while one caller refreshes it. */
  staleUntil: number;
  /**
   * Per tag, the Redis version its data was read under or checked against: what a value built
   * from it records (see `touchTags`). Absent, or a tag missing: not known, and a value built
   * from it is not stored in Redis.
   */
  versions?: Readonly<Record<string, string>>;
}

export interface L1Options {
  /** Default 100,000 entries. */
  maxEntries?: number;
  /**
   * Default 256 MiB. Bound on the entries' approximate size: two bytes per character of the
   * entry's JSON (a stored response is that JSON already) plus a fixed overhead per entry.
   */
  maxBytes?: number;
  /** Default 30,000 ms. The longest an entry stays in L1. */
  maxTtlMs?: number;
  /**
   * Default 0.2: each entry's hold is cut by up to this share of `maxTtlMs`, at random, so
   * entries filled together (a warming pass, a deploy) do not all fall back to Redis together.
   */
  jitterRatio?: number;
}

/** What an entry costs beyond its value: the entry object, its tag index, the LRU's node. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * An entry's size, measured once when it is stored (a fill, not a hit). A flat estimate let a
 * list of 100 references count as much as a boolean, so the bound said little.
 */
function sizeOf(entry: CacheEntry): number {
  const text = typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value) ?? '';
  return ENTRY_OVERHEAD_BYTES + 2 * text.length;
}

export class L1Cache {
  private readonly lru: LRUCache<string, CacheEntry>;
  private readonly byTag = new Map<string, Set<string>>();
  private readonly maxTtlMs: number;
  private readonly jitterRatio: number;

  constructor(options: L1Options = {}) {
    this.maxTtlMs = options.maxTtlMs ?? 30_000;
    this.jitterRatio = options.jitterRatio ?? 0.2;
    this.lru = new LRUCache<string, CacheEntry>({
      max: options.maxEntries ?? 100_000,
      maxSize: options.maxBytes ?? 256 * 1024 * 1024,
      sizeCalculation: sizeOf,
      ttlAutopurge: false,
      // lru-cache otherwise reuses one clock reading for a whole synchronous stretch when it
      // checks ages, while it stamps each write with a fresh one: an entry set late in a long
      // stretch (a big batch, a busy event loop) would outlive its hold by that stretch.
      ttlResolution: 0,
      dispose: (entry, key) => this.unindex(key, entry.tags),
    });
  }

  get size(): number {
    return this.lru.size;
  }

  get(key: string, now = Date.now()): CacheEntry | undefined {
    const entry = this.lru.get(key);
    if (entry && entry.staleUntil <= now) {
      this.lru.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: CacheEntry, now = Date.now()): void {
    const ttl = Math.min(entry.staleUntil - now, this.maxTtlMs * (1 - this.jitterRatio * Math.random()));
    if (ttl <= 0) return;
    this.lru.set(key, entry, { ttl });
    for (const tag of entry.tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  /** Milliseconds until the entry under `key` leaves L1 (0 if absent). */
  expiresIn(key: string): number {
    return Math.max(0, this.lru.getRemainingTTL(key));
  }

  /** Drops the entry under `key` if it is still `entry` (not replaced since). */
  deleteIf(key: string, entry: CacheEntry): void {
    if (this.lru.peek(key) === entry) this.lru.delete(key);
  }

  /** Drops every entry carrying any of `tags`; returns how many went. */
  invalidate(tags: readonly string[]): number {
    let dropped = 0;
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      for (const key of [...keys]) if (this.lru.delete(key)) dropped += 1;
      this.byTag.delete(tag);
    }
    return dropped;
  }

  clear(): void {
    this.lru.clear();
    this.byTag.clear();
  }

  private unindex(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }
}
