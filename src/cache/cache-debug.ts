/**
 * The cache debugger: for a request that asks (and may), a record of every cache entry its
 * answer touched: the whole response, each cached field, each entity. For each, where it came
 * from (L1, Redis, computed here, shared with a computation already under way), its key, its
 * tags, how long it has left, and, when it was not stored, why. Counts (`extensions.cache`) say
 * that something missed; this says which entry and what kept it out.
 */
import { currentRequestScope } from './request-scope';

export type CacheTier =
  /** This process's LRU. */
  | 'L1'
  /** The shared Redis tier (then promoted to L1). */
  | 'Redis'
  /** A miss: computed (or loaded from the database) for this request. */
  | 'computed'
  /** A miss answered by a computation already under way for another request. */
  | 'shared'
  /** Never looked up: see `notStored`. */
  | 'bypassed';

export interface CacheDebugRecord {
  /** The entity type (`Product`), the field's coordinate (`Query.products`), or `response`. */
  source: string;
  /** The cache key, or null when none applies (a bypassed PRIVATE field). */
  key: string | null;
  tier: CacheTier;
  /** Served past its TTL, within its stale-while-revalidate window (a refresh was started). */
  stale?: boolean;
  /** Tags the entry is filed under: a write that drops any of them drops the entry. */
  tags: string[];
  /** Seconds the entry stays fresh, as of this request; null when nothing was stored. */
  ttlLeftSeconds: number | null;
  /** For a computed entry: where it went (`L1`, `L1 and Redis`), if it was stored. */
  stored?: string;
  /** Why a computed entry was not stored, or not in every tier. */
  notStored?: string;
}

/** A request's records, one per entry (by key), in the order they were first met. */
export class CacheDebug {
  private readonly records = new Map<string, CacheDebugRecord>();

  /** Records an entry met by a lookup, or a field that bypassed the cache (no key). */
  note(record: Partial<CacheDebugRecord> & Pick<CacheDebugRecord, 'source' | 'key'>): void {
    const id = record.key ?? `bypassed:${record.source}`;
    if (!this.records.has(id)) this.records.set(id, { tier: 'computed', tags: [], ttlLeftSeconds: null, ...record });
  }

  /** Adds what became of the entry at `key` (stored, refused, shared); unknown keys are ignored. */
  amend(key: string, patch: Partial<Omit<CacheDebugRecord, 'source' | 'key'>>): void {
    const record = this.records.get(key);
    if (record) Object.assign(record, patch);
  }

  toJSON(): { entries: CacheDebugRecord[]; summary: Record<CacheTier, number> } {
    const entries = [...this.records.values()];
    const summary: Record<CacheTier, number> = { L1: 0, Redis: 0, computed: 0, shared: 0, bypassed: 0 };
    for (const entry of entries) summary[entry.tier] += 1;
    return { entries, summary };
  }
}

/** The current request's debugger, when it asked for one. */
export function cacheDebug(): CacheDebug | undefined {
  return currentRequestScope()?.debug;
}
