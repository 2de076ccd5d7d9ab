/**
 * What the cache did, counted. One instance per process for metrics, and one per request for
 * the development summary in `extensions`; the cache reports to both through `CacheObserver`.
 */
export type CacheOutcome = 'hit' | 'miss' | 'stale';

export interface CacheObserver {
  /** `source` is a schema coordinate (`Product.averageRating`) or a loader (`Product`). */
  lookup(source: string, tier: 'l1' | 'l2' | 'none', outcome: CacheOutcome): void;
  roundTrip(command: string): void;
  error(operation: string): void;
  /** A cached field answered: how, and how long it took. */
  resolved?(field: string, outcome: CacheOutcome, seconds: number): void;
  /**
   * A lookup for one batch of `source` (a loader or a cached field) took `seconds`; `redis`
   * says whether L1 answered it all, Redis was asked, or Redis was needed but could not be
   * asked (the call failed or timed out, the circuit was open, or an invalidation was owed).
   */
  lookedUp?(source: string, seconds: number, redis: RedisUse): void;
}

export type RedisUse = 'not_needed' | 'asked' | 'unavailable';

export class CacheCounters implements CacheObserver {
  hits = 0;
  misses = 0;
  stale = 0;
  redisRoundTrips = 0;
  errors = 0;

  lookup(_source: string, _tier: 'l1' | 'l2' | 'none', outcome: CacheOutcome): void {
    if (outcome === 'hit') this.hits += 1;
    else if (outcome === 'miss') this.misses += 1;
    else this.stale += 1;
  }

  roundTrip(): void {
    this.redisRoundTrips += 1;
  }

  error(): void {
    this.errors += 1;
  }
}

/** Reports to several observers at once. */
export function fanOut(observers: readonly (CacheObserver | undefined)[]): CacheObserver {
  const present = observers.filter((o): o is CacheObserver => o !== undefined);
  return {
    lookup: (source, tier, outcome) => present.forEach((o) => o.lookup(source, tier, outcome)),
    roundTrip: (command) => present.forEach((o) => o.roundTrip(command)),
    error: (operation) => present.forEach((o) => o.error(operation)),
    resolved: (field, outcome, seconds) => present.forEach((o) => o.resolved?.(field, outcome, seconds)),
    lookedUp: (source, seconds, redis) => present.forEach((o) => o.lookedUp?.(source, seconds, redis)),
  };
}
