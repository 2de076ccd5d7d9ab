/**
 * The cache both tiers make together: L1 (this process) in front of L2 (a `CacheStore`: Redis,
 * shared by every instance, or one in memory). Callers look up a batch of keys, compute what is
 * missing, and fill it back; the cache takes care of tiers, lifetimes with jitter, tag
 * bookkeeping, write races and the circuit breaker in front of the store. Without a store it
 * works as L1 alone, which is right for a single instance.
 */
import type Redis from 'ioredis';
import { cacheDebug } from './cache-debug';
import { CacheCounters, fanOut, type CacheObserver, type RedisUse } from './cache-stats';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker';
import type { KeySpace } from './keys';
import { L1Cache, type CacheEntry, type L1Options } from './l1';
import { UNKNOWN_VERSION } from './request-scope';
import { redisStore } from './redis-store';
import { ANY_TAG, type CacheStore, type FillRequest, type RemoteEntry, type StoreFactory } from './store';

export type { CacheEntry };

export interface TwoTierCacheOptions {
  keys: KeySpace;
  /** The cache client (see `redis/clients.ts`): L2 is a Redis store over it. */
  redis?: Redis;
  /**
   * Default: a Redis store over `redis` if given, else none (L1 only). Builds L2 from the
   * cache's keys, breaker and counters, e.g. `memoryStore()`. Not with `redis`.
   */
  store?: StoreFactory;
  l1?: L1Options;
  /** Default 250. Milliseconds a store call may take before it counts as failed. */
  redisTimeoutMs?: number;
  /** Default 0.1: up to 10% extra life, at random, per Redis entry. */
  jitterRatio?: number;
  breaker?: CircuitBreakerOptions;
  /** Extra observer (metrics); the cache's own `counters` always count. */
  observer?: CacheObserver;
  /** Called when a store call fails; the cache itself carries on without it. */
  onRedisError?: (operation: string, error: unknown) => void;
}

export interface Lifetime {
  ttl: number;
  staleWhileRevalidate: number;
}

export interface Lookup {
  /** One per key: the entry, or undefined on a miss. */
  entries: (CacheEntry | undefined)[];
  /** Pass back to `fill` for the keys that missed: the versions their data must be checked against. */
  token: FillToken;
}

/** What a lookup saw of tag versions; a fill is refused if any changed since. */
export interface FillToken {
  remote: ReadonlyMap<string, string> | undefined;
  local: ReadonlyMap<string, number>;
  /** This instance's L1 trust epoch at the lookup (see `mayEnterL1`). */
  l1Epoch: number;
}

export interface Fill {
  key: string;
  value: unknown;
  tags: readonly string[];
  lifetime: Lifetime;
  /** Tags (read by the lookup) whose invalidation since the lookup makes this value suspect. */
  checkTags: readonly string[];
  /**
   * Tags learnt only while computing (a whole response's): refused if any was invalidated
   * after the lookup, which must have read `ANY_TAG`.
   */
  touchedTags?: readonly string[];
  /**
   * For a value built from other entries (a field's result, a whole response): per tag, the
   * Redis version its parts were checked against (see `touchTags`). It is stored in Redis only if
   * its parts agree with each other and with the lookup on every tag it is filed under.
   */
  versions?: ReadonlyMap<string, string>;
}

export class TwoTierCache {
  readonly l1: L1Cache;
  readonly store: CacheStore | undefined;
  readonly breaker: CircuitBreaker;
  readonly counters = new CacheCounters();
  readonly observer: CacheObserver;
  private readonly jitterRatio: number;
  /**
   * Per tag, the local invalidation count at its last invalidation seen here (`ANY_TAG`: the
   * count itself), so L1 fills of data loaded before an invalidation are refused.
   */
  private readonly localVersions = new Map<string, number>();
  private invalidations = 0;
  /** Tags this instance failed to invalidate in Redis; L2 is not read until they are. */
  private readonly pending = new Set<string>();
  /**
   * The deletion of pending tags under way, if any. Callers that find one wait for it rather
   * than send the same tags again: each repeat bumped the tags' versions once more (which
   * refuses fills that did nothing wrong) and cost a round trip.
   */
  private flushing: Promise<boolean> | undefined;
  /** False while this instance may have missed invalidations (subscriber down): L1 is bypassed. */
  private l1Trusted = true;
  /**
   * Moves on every loss and regain of trust: a value read or computed before the subscriber
   * went down may have missed an invalidation, even once trust is back.
   */
  private l1Epoch = 0;
  /** A raise of Redis's forgotten key generation is under way (see agreesOnGeneration). */
  private raisingGeneration = false;
  /** Fills and background refreshes under way (see `settled`). */
  private readonly writes = new Set<Promise<void>>();

  constructor(private readonly options: TwoTierCacheOptions) {
    this.l1 = new L1Cache(options.l1);
    this.observer = fanOut([this.counters, options.observer]);
    this.breaker = new CircuitBreaker(options.breaker);
    this.jitterRatio = options.jitterRatio ?? 0.1;
    if (options.redis && options.store) throw new TypeError('TwoTierCache: pass `redis` or `store`, not both');
    const factory = options.store ?? (options.redis ? redisStore(options.redis) : undefined);
    this.store = factory?.({
      keys: options.keys,
      breaker: this.breaker,
      timeoutMs: options.redisTimeoutMs ?? 250,
      events: {
        onRoundTrip: (command) => this.observer.roundTrip(command),
        onError: (operation, error) => {
          this.observer.error(operation);
          options.onRedisError?.(operation, error);
        },
      },
    });
  }

  get keys(): KeySpace {
    return this.options.keys;
  }

  /**
   * Looks `keys` up in L1, then the rest in Redis in one round trip, reading the versions of
   * `checkTags` in the same call. `source` names the loader or field, for the counters.
   */
  async lookup(
    source: string | readonly string[],
    keys: readonly string[],
    checkTags: readonly string[],
    options: { acceptStale?: boolean; now?: number } = {},
  ): Promise<Lookup> {
    const started = performance.now();
    const now = options.now ?? Date.now();
    // A stale entry (past its TTL, within its stale-while-revalidate window) is returned only to
    // callers that will refresh it; to the others it is a miss.
    const usable = (entry: CacheEntry | undefined): entry is CacheEntry =>
      entry !== undefined && (entry.freshUntil > now || (options.acceptStale === true && entry.staleUntil > now));
    const outcome = (entry: CacheEntry) => (entry.freshUntil > now ? 'hit' : 'stale');
    const sourceOf = (i: number) => (typeof source === 'string' ? source : source[i]!);
    const entries: (CacheEntry | undefined)[] = new Array<CacheEntry | undefined>(keys.length).fill(undefined);
    const local = new Map([...checkTags, ANY_TAG].map((tag) => [tag, this.localVersions.get(tag) ?? 0]));
    const since = { invalidations: this.invalidations, l1Epoch: this.l1Epoch };
    const missing: number[] = [];
    keys.forEach((key, i) => {
      const entry = this.l1Trusted ? this.l1.get(key, now) : undefined;
      if (usable(entry)) {
        entries[i] = entry;
        this.observer.lookup(sourceOf(i), 'l1', outcome(entry));
      } else missing.push(i);
    });
    let remote: Map<string, string> | undefined;
    let redis: RedisUse = 'not_needed';
    if (missing.length > 0 && this.store) {
      const owedFlushed = await this.flushPending(false);
      const read = owedFlushed ? await this.readRemote(missing.map((i) => keys[i]!), checkTags) : undefined;
      redis = read ? 'asked' : 'unavailable';
      remote = read?.versions;
      read?.entries.forEach((entry, j) => {
        const i = missing[j]!;
        if (!usable(entry)) return;
        entries[i] = entry;
        // Read before an invalidation this instance has since acted on: good enough for this
        // reader, whose request began before the write was acknowledged, but not to keep.
        if (this.mayEnterL1(since, entry.tags)) this.l1.set(keys[i]!, entry, now);
        this.observer.lookup(sourceOf(i), 'l2', outcome(entry));
      });
    }
    for (const i of missing) if (!entries[i]) this.observer.lookup(sourceOf(i), 'none', 'miss');
    const debug = cacheDebug();
    if (debug) {
      const fromRedis = new Set(missing);
      keys.forEach((key, i) => {
        const entry = entries[i];
        debug.note({
          source: sourceOf(i),
          key,
          tier: entry ? (fromRedis.has(i) ? 'Redis' : 'L1') : 'computed',
          tags: entry ? [...entry.tags] : [],
          ttlLeftSeconds: entry ? Math.max(0, (entry.freshUntil - now) / 1000) : null,
          ...(entry && entry.freshUntil <= now ? { stale: true } : {}),
        });
      });
    }
    const seconds = (performance.now() - started) / 1000;
    for (const name of typeof source === 'string' ? [source] : new Set(source)) this.observer.lookedUp?.(name, seconds, redis);
    return { entries, token: { remote, local, l1Epoch: since.l1Epoch } };
  }

  /**
   * Resolves when every fill and background refresh started so far has finished (tests and
   * shutdown wait on it).
   */
  async settled(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes].map((write) => write.catch(() => undefined)));
  }

  /** Counts `work` (a background refresh) as unsettled until it ends. */
  track<T>(work: Promise<T>): Promise<T> {
    const tracked = work.then(() => undefined);
    this.writes.add(tracked);
    const forget = () => this.writes.delete(tracked);
    tracked.then(forget, forget);
    return work;
  }

  /** Stores computed values in both tiers, unless an invalidation overtook them. */
  fill(fills: readonly Fill[], token: FillToken, now = Date.now()): Promise<void> {
    return this.track(this.write(fills, token, now));
  }

  /**
   * Across instances, one computes a cold key: a lock to release once the value is stored if
   * this caller should compute it (also when Redis cannot say), null if another instance holds
   * it (wait with `waitFor`). Releasing never frees a lock that expired and was taken since.
   */
  async claim(key: string, ttlMs: number): Promise<{ release(): Promise<void> } | null> {
    // The store asks the circuit breaker itself (asking twice would spend a half-open probe).
    const owner = await this.store?.lock(key, ttlMs);
    if (owner === null) return null;
    const store = this.store;
    return { release: () => (store && owner ? store.unlock(key, owner) : Promise.resolve()) };
  }

  /**
   * Polls for `key` (filed under `tags`) while another instance computes it; undefined if it did
   * not come in time.
   */
  async waitFor(key: string, tags: readonly string[], timeoutMs: number, intervalMs = 20): Promise<CacheEntry | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      const local = this.peek(key);
      if (local) return local;
      const read = this.store && (await this.readRemote([key], tags));
      const entry = read?.entries[0];
      if (entry && entry.freshUntil > Date.now()) return entry;
      if (!read) return undefined;
    }
    return undefined;
  }

  /**
   * A Redis read of `keys` with the versions of `versionTags` and of the invalidation counter;
   * an entry comes back only if every version it recorded is still current (see redis-store).
   * An entry filed under tags the caller could not name (a whole response's) costs one more
   * read, for those versions. Undefined if Redis failed or the read was of another generation.
   */
  private async readRemote(keys: readonly string[], versionTags: readonly string[] = []) {
    const store = this.store!;
    const read = await store.read(keys, versionTags.includes(ANY_TAG) ? versionTags : [...versionTags, ANY_TAG]);
    if (!read || !this.agreesOnGeneration(read.generation)) return undefined;
    if (read.versions.get(ANY_TAG) === '') {
      // Redis has no invalidation counter (new, or restarted empty): one is made now, before the
      // caller computes anything, so what it fills is dated before any later write.
      const stamp = await store.stamp();
      if (stamp === undefined) return undefined;
      read.versions.set(ANY_TAG, stamp);
    }
    const unread = new Set<string>();
    for (const entry of read.entries) for (const tag of entry?.tags ?? []) if (!read.versions.has(tag)) unread.add(tag);
    const later = unread.size > 0 ? await store.versions([...unread]) : undefined;
    for (const [tag, version] of later ?? []) read.versions.set(tag, version);
    const current = (entry: RemoteEntry) =>
      entry.tags.every((tag) => {
        const version = read.versions.get(tag);
        return version !== undefined && version !== '' && entry.versions[tag] === version;
      });
    return { entries: read.entries.map((entry) => (entry && current(entry) ? entry : undefined)), versions: read.versions };
  }

  /**
   * Compares the key generation Redis holds with this instance's. A newer one means a purge
   * this instance has not heard of: it takes it up, and what was just read (under the old
   * generation's keys) must not be used. An older one means Redis forgot (it restarted without
   * persistence): it is raised back, so instances started since take up this one, and a purge
   * then moves every instance on.
   */
  private agreesOnGeneration(seen: number): boolean {
    const ours = this.keys.generation;
    if (seen > ours) {
      this.purgeLocal(seen);
      return false;
    }
    // One raise at a time: every read in flight meanwhile sees the old value too.
    if (seen < ours && !this.raisingGeneration) {
      this.raisingGeneration = true;
      void this.track(this.store!.settleGeneration(ours)).finally(() => (this.raisingGeneration = false));
    }
    return true;
  }

  /**
   * Whether an entry read from Redis by a lookup that began at `since` may be kept in L1: not
   * if any of its tags was invalidated here since (the entry may predate that write), nor if
   * L1 lost trust meanwhile.
   */
  private mayEnterL1(since: { invalidations: number; l1Epoch: number }, tags: readonly string[]): boolean {
    if (!this.l1Trusted || this.l1Epoch !== since.l1Epoch) return false;
    return (this.localVersions.get(ANY_TAG) ?? 0) === since.invalidations || tags.every((tag) => (this.localVersions.get(tag) ?? 0) <= since.invalidations);
  }

  /**
   * A fresh L1 entry for `key`, counted as a lookup of `source` when found: a lookup that will
   * not go to Redis, for callers that answer hits before anything else (see front-door).
   */
  hitInL1(source: string, key: string, now = Date.now()): CacheEntry | undefined {
    const entry = this.peek(key, now);
    if (entry) {
      this.observer.lookup(source, 'l1', 'hit');
      this.observer.lookedUp?.(source, 0, 'not_needed');
    }
    return entry;
  }

  /** A fresh L1 entry for `key`, without counting or asking Redis. */
  peek(key: string, now = Date.now()): CacheEntry | undefined {
    if (!this.l1Trusted) return undefined;
    const entry = this.l1.get(key, now);
    return entry && entry.freshUntil > now ? entry : undefined;
  }

  /**
   * Whether a value computed after the lookup that gave `token` is still current here: none of
   * `checkTags` and `touchedTags` (see `Fill`) has been invalidated on this instance since.
   */
  isCurrent(token: FillToken, fill: Pick<Fill, 'checkTags' | 'touchedTags'>): boolean {
    const localSince = token.local.get(ANY_TAG) ?? 0;
    return (
      fill.checkTags.every((tag) => (this.localVersions.get(tag) ?? 0) === (token.local.get(tag) ?? 0)) &&
      (fill.touchedTags ?? []).every((tag) => (this.localVersions.get(tag) ?? 0) <= localSince)
    );
  }

  private async write(fills: readonly Fill[], token: FillToken, now: number): Promise<void> {
    const debug = cacheDebug();
    const accepted = fills.filter((fill) => {
      // Tags the lookup could not name (a session's user, a response's entities) are checked
      // against the invalidations since the lookup, as a response's are.
      const learnt = fill.tags.filter((tag) => !fill.checkTags.includes(tag));
      const current = this.isCurrent(token, { checkTags: fill.checkTags, touchedTags: [...(fill.touchedTags ?? []), ...learnt] });
      if (!current) debug?.amend(fill.key, { notStored: 'refused: a write invalidated one of its tags while it was computed' });
      return current;
    });
    if (accepted.length === 0) return;
    const made = accepted.map((fill) => {
      const versions = this.versionsOf(fill, token);
      const entry: CacheEntry = {
        value: fill.value,
        tags: fill.tags,
        freshUntil: now + fill.lifetime.ttl * 1000,
        staleUntil: now + (fill.lifetime.ttl + fill.lifetime.staleWhileRevalidate) * 1000,
        ...(versions ? { versions } : {}),
      };
      return { fill, entry, versions };
    });
    // L1 at once: the check above is all L1 needs (an invalidation this instance acknowledged
    // since the lookup would have failed it; one not yet heard of is not acknowledged, so no
    // writer has answered yet). Waiting for Redis first left a gap, after the response had gone,
    // in which the next reader missed and computed the same page again.
    const toL1 = this.l1Trusted && token.l1Epoch === this.l1Epoch;
    if (toL1) for (const { fill, entry } of made) this.l1.set(fill.key, entry, now);
    if (debug) {
      const skipped = this.whyNotRedis(token);
      for (const { fill } of made) {
        debug.amend(fill.key, {
          tags: [...fill.tags],
          ttlLeftSeconds: fill.lifetime.ttl,
          ...(toL1 ? { stored: 'L1' } : { notStored: 'not in L1: the invalidation channel was down since the lookup' }),
          ...(skipped ? { notStored: skipped } : {}),
        });
      }
    }
    // Without the versions Redis had before the load, an entry could not say what it was built
    // from: skip L2.
    if (!this.store || !token.remote || this.pending.size > 0) return;
    const remote = token.remote;
    const counter = remote.get(ANY_TAG)!;
    // Tags learnt while computing from the database, with no part to say their version (a
    // session's user): their versions now, refused if one moved past the lookup. Data read after
    // the lookup saw the counter at `counter` includes every write stamped at or below it.
    const unread = [...new Set(made.flatMap(({ fill, versions }) => (versions ? fill.tags.filter((tag) => !(tag in versions)) : [])))];
    const later = unread.length > 0 ? await this.store.versions(unread) : new Map<string, string>();
    if (!later) return;
    const requests: FillRequest[] = [];
    for (const { fill, entry, versions } of made) {
      const overtaken = versions && unread.some((tag) => fill.tags.includes(tag) && !(tag in versions) && Number(later.get(tag) || 0) > Number(counter));
      if (versions && !overtaken) {
        for (const tag of fill.tags) versions[tag] ??= later.get(tag) || counter;
        // Versions Redis had none of: this entry creates them, unless one appears meanwhile.
        const create = fill.tags.filter((tag) => remote.get(tag) === '' || later.get(tag) === '');
        requests.push({ key: fill.key, entry, versions, create, jitterMs: Math.floor(Math.random() * this.jitterRatio * fill.lifetime.ttl * 1000) });
        continue;
      }
      // Overtaken by a write on another instance whose message is still on its way here: out of
      // L1 now rather than when the message comes.
      this.l1.deleteIf(fill.key, entry);
      debug?.amend(fill.key, {
        stored: undefined,
        notStored: overtaken
          ? "refused: another instance's write changed what it holds while it was computed"
          : 'refused: it was built from parts read at different versions of its tags (a write came between them)',
      });
    }
    const written = await this.store.fill(requests, now);
    for (const request of requests) {
      debug?.amend(request.key, written ? { stored: toL1 ? 'L1 and Redis' : 'Redis' } : { notStored: 'the Redis write failed: L1 only' });
    }
  }

  /**
   * The Redis version of each of `tags` a value loaded after the lookup that gave `token` was
   * read under: what the lookup saw, or for a tag Redis had none of, the invalidation counter
   * (the version a fill will create). Undefined when Redis did not answer the lookup.
   */
  versionsAt(token: FillToken, tags: readonly string[]): Record<string, string> | undefined {
    const remote = token.remote;
    const counter = remote?.get(ANY_TAG);
    if (!remote || !counter) return undefined;
    const versions: Record<string, string> = {};
    for (const tag of tags) versions[tag] = remote.get(tag) || counter;
    return versions;
  }

  /**
   * The versions `fill` is stored with: those its lookup saw for the tags it read, and its parts'
   * for the others; a tag neither names is left out, for the caller to read (see `write`).
   * Undefined when one is not known or they disagree: a part was read before a write the lookup
   * saw the version of (a lagging L1), or two parts straddle a write.
   */
  private versionsOf(fill: Fill, token: FillToken): Record<string, string> | undefined {
    const atLookup = this.versionsAt(token, fill.checkTags.filter((tag) => fill.tags.includes(tag)));
    if (!atLookup) return undefined;
    const versions: Record<string, string> = {};
    for (const tag of fill.tags) {
      const own = atLookup[tag];
      const parts = fill.versions?.get(tag);
      if (parts === UNKNOWN_VERSION || (own !== undefined && parts !== undefined && parts !== own)) return undefined;
      const version = own ?? parts;
      if (version !== undefined) versions[tag] = version;
    }
    return versions;
  }

  /** For the debugger: why a fill with `token` does not go to Redis, if it does not. */
  private whyNotRedis(token: FillToken): string | undefined {
    if (!this.store) return undefined;
    if (!token.remote) return 'Redis did not answer the lookup, so the fill could not be checked against it: L1 only';
    if (this.pending.size > 0) return 'this instance still owes Redis an invalidation: L1 only until it is delivered';
    return undefined;
  }

  /**
   * Drops `tags` here and in Redis. Resolves true once Redis has them, false when it could not
   * be reached: then this instance owes them, and reads no L2 until it has delivered them.
   */
  async invalidate(tags: readonly string[]): Promise<boolean> {
    this.dropLocal(tags);
    if (!this.store) return true;
    for (const tag of tags) this.pending.add(tag);
    return this.flushPending(true);
  }

  /** Drops `tags` from L1 only: what another instance's invalidation asks of this one. */
  dropLocal(tags: readonly string[]): number {
    this.invalidations += 1;
    for (const tag of [...tags, ANY_TAG]) this.localVersions.set(tag, this.invalidations);
    return this.l1.invalidate(tags);
  }

  /**
   * Moves to key generation `generation` (never back) and forgets L1; fills already under way
   * are refused, as after any invalidation.
   */
  purgeLocal(generation?: number): void {
    if (generation !== undefined && generation > this.keys.generation) this.keys.generation = generation;
    this.dropLocal([]);
    this.l1.clear();
  }

  /**
   * Agrees with Redis on the key generation (see CacheStore.settleGeneration): `step` 1 moves
   * past every generation in use (a purge). Resolves to the generation in force; undefined
   * without Redis.
   */
  async settleGeneration(step: 0 | 1 = 0): Promise<number | undefined> {
    return this.store?.settleGeneration(this.keys.generation, step);
  }

  /** This instance may have missed invalidations: forget L1 and stop using it until `trustL1`. */
  distrustL1(): void {
    this.l1Trusted = false;
    this.l1Epoch += 1;
    this.l1.clear();
  }

  trustL1(): void {
    this.l1.clear();
    this.l1Trusted = true;
    this.l1Epoch += 1;
  }

  get isL1Trusted(): boolean {
    return this.l1Trusted;
  }

  /** `force`: try even with the circuit open (a write owes it); else only when it allows. */
  private async flushPending(force: boolean): Promise<boolean> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return true;
    if (!force && !this.breaker.allows()) return false;
    const tags = [...this.pending];
    const flush = this.store!.invalidate(tags).then((deleted) => {
      if (deleted) for (const tag of tags) this.pending.delete(tag);
      return deleted;
    });
    this.flushing = flush;
    try {
      return await flush;
    } finally {
      if (this.flushing === flush) this.flushing = undefined;
    }
  }
}

