/**
 * Loads and computations under way in this process, by key, so concurrent misses share one.
 * The one rule that keeps sharing coherent lives here: a caller joins a load only if nothing
 * the load read was invalidated since it began. A request sent after a write was acknowledged
 * must not be handed what a load that started before the write read (nor should that answer
 * be stored for everyone).
 */
import type { FillToken, TwoTierCache } from './two-tier-cache';

export class InFlight<K, V> {
  private readonly loads = new Map<K, { value: Promise<V>; token: FillToken; checkTags: readonly string[] }>();

  constructor(private readonly cache: TwoTierCache) {}

  /** The load under way for `key` that a caller may join, if any. */
  joinable(key: K): Promise<V> | undefined {
    const load = this.loads.get(key);
    return load && this.cache.isCurrent(load.token, { checkTags: load.checkTags }) ? load.value : undefined;
  }

  /** The Redis versions of `tags` the load under way for `key` was read under, if known. */
  versionsOf(key: K, tags: readonly string[]): Record<string, string> | undefined {
    const load = this.loads.get(key);
    return load && this.cache.versionsAt(load.token, tags);
  }

  /** Whether any load is under way for `key`, joinable or not (an overtaken one may hold a lock). */
  has(key: K): boolean {
    return this.loads.has(key);
  }

  /**
   * Registers `value`, loaded after the lookup that gave `token` from data tagged `checkTags`,
   * until `done` settles (the value is in the cache by then, so no caller falls between the two).
   * A newer load registered for the same key meanwhile is left in place.
   */
  register(key: K, value: Promise<V>, token: FillToken, checkTags: readonly string[], done: Promise<unknown>): void {
    this.loads.set(key, { value, token, checkTags });
    const forget = () => {
      if (this.loads.get(key)?.value === value) this.loads.delete(key);
    };
    done.then(forget, forget);
  }
}
