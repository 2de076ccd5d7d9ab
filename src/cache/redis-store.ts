/**
 * L2: the shared Redis tier. Coherence never rests on Redis keeping a key: an entry records the
 * version of each of its tags as they stood before its data was read, and it is served only
 * while every one of those versions is still in Redis, unchanged. An invalidation stamps its
 * tags with a new version; an evicted or expired version reads as "changed". So Redis may
 * evict anything (`allkeys-lru`) or restart empty and no read is stale because of it, and an
 * invalidation costs one write per tag however many entries the tag has had (nothing lists
 * them: entries of a changed tag are simply never served again, and expire).
 *
 * Every command touches one key, except MGETs and pipelines, which a cluster client would split
 * by slot without changing what they mean: nothing needs two keys to change together.
 * Every call is guarded by the circuit breaker and never throws: a failure is a miss (reads) or
 * a skipped write, and is counted.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { CircuitBreaker } from './circuit-breaker';
import type { KeySpace } from './keys';
import {
  ANY_TAG,
  decodeEntry,
  encodeEntry,
  entryTtlMs,
  VERSION_TTL_MS,
  type CacheStore,
  type FillRequest,
  type RemoteRead,
  type StoreEvents,
  type StoreFactory,
} from './store';

const VERSION_TTL_SECONDS = VERSION_TTL_MS / 1000;

/**
 * Moves the invalidation counter (the version of `*`) on and returns it: Redis's clock in
 * microseconds, or one past the counter should the clock step back. Not a count: a count would
 * start again at 1 after Redis restarted empty, below the stamps lookups saw before.
 * KEYS: [anyTagVersionKey]
 */
const STAMP_SCRIPT = `
local time = redis.call('TIME')
local stamp = math.max(tonumber(time[1]) * 1000000 + tonumber(time[2]), tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
local text = string.format('%d', stamp)
redis.call('SET', KEYS[1], text)
return text
`;

/** Deletes a lock only if it is still the caller's (it may have expired and been taken since). */
const UNLOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Sets the key generation to the larger of Redis's and `atLeast`, plus `step` (0: agree on the
 * newest one known; 1: a purge, past every generation any instance uses). Never moves it back.
 * KEYS: [generationKey]; ARGV: [atLeast, step]; returns the generation now in force.
 */
const GENERATION_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local next = math.max(current, tonumber(ARGV[1])) + tonumber(ARGV[2])
if next ~= current then redis.call('SET', KEYS[1], next) end
return next
`;

interface ScriptedRedis extends Redis {
  cacheStamp(numKeys: number, ...args: (string | number)[]): Promise<string>;
  cacheGeneration(numKeys: number, ...args: (string | number)[]): Promise<number>;
  cacheUnlock(numKeys: number, ...args: (string | number)[]): Promise<number>;
}

/**
 * Rejects when `promise` has not settled `ms` after the call. The timer's verdict waits for one
 * more turn of the event loop (setImmediate runs after the I/O poll): when the process itself
 * is busy, a reply that already sits in the socket is read first instead of being declared
 * late. A timeout should say "Redis is slow", not "this process is".
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new Error(`Redis ${what} took longer than ${ms} ms`));
      });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export class RedisStore implements CacheStore {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly keys: KeySpace,
    private readonly breaker: CircuitBreaker,
    private readonly events: StoreEvents = {},
    /** Default 250. How long a call may take before it counts as failed. */
    private readonly timeoutMs = 250,
  ) {
    redis.defineCommand('cacheStamp', { lua: STAMP_SCRIPT });
    redis.defineCommand('cacheGeneration', { lua: GENERATION_SCRIPT });
    redis.defineCommand('cacheUnlock', { lua: UNLOCK_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  /** The client, for tests that look at Redis keys and for sharing its connection. */
  get client(): Redis {
    return this.redis;
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Runs `call` if the circuit allows, counting it; undefined on failure or open circuit. */
  private async guarded<T>(operation: string, call: () => Promise<T>): Promise<T | undefined> {
    if (!this.breaker.allows()) return undefined;
    this.events.onRoundTrip?.(operation);
    try {
      const result = await withTimeout(call(), this.timeoutMs, operation);
      this.breaker.success();
      return result;
    } catch (error) {
      this.breaker.failure();
      this.events.onError?.(operation, error);
      return undefined;
    }
  }

  /**
   * One MGET for `keys`, the versions of `versionTags` and the key generation in force. Undefined
   * when Redis failed.
   */
  async read(keys: readonly string[], versionTags: readonly string[] = []): Promise<RemoteRead | undefined> {
    const all = [...keys, ...versionTags.map((tag) => this.keys.tagVersion(tag)), this.keys.generationKey];
    const raw = await this.guarded('mget', () => this.redis.mget(...all).then(arrayReply));
    if (!raw) return undefined;
    const entries = raw.slice(0, keys.length).map((payload) => decodeEntry(payload));
    const versions = new Map<string, string>();
    versionTags.forEach((tag, i) => versions.set(tag, raw[keys.length + i] ?? ''));
    return { entries, versions, generation: Number(raw[all.length - 1] ?? 0) };
  }

  /** The versions of `tags` ('' for none), in one MGET; undefined when Redis failed. */
  async versions(tags: readonly string[]): Promise<Map<string, string> | undefined> {
    if (tags.length === 0) return new Map();
    const raw = await this.guarded('mget', () => this.redis.mget(...tags.map((tag) => this.keys.tagVersion(tag))).then(arrayReply));
    return raw && new Map(tags.map((tag, i) => [tag, raw[i] ?? '']));
  }

  /** Moves the invalidation counter on (creating it, if Redis lost it); its new value. */
  async stamp(): Promise<string | undefined> {
    return this.guarded('stamp', () => this.redis.cacheStamp(1, this.keys.tagVersion(ANY_TAG)));
  }

  /**
   * Agrees on the key generation: Redis keeps the larger of its own and `atLeast` (`step` 0),
   * or moves past both (`step` 1, a purge). Resolves to the generation in force, or undefined
   * when Redis could not be asked.
   */
  async settleGeneration(atLeast: number, step: 0 | 1 = 0): Promise<number | undefined> {
    return this.guarded('generation', () => this.redis.cacheGeneration(1, this.keys.generationKey, atLeast, step));
  }

  /**
   * Writes entries with the versions they recorded, creating the versions Redis had none of; all
   * in one pipelined round trip. Nothing is checked here: an entry whose versions are no longer
   * current when it is read is a miss. Resolves false when Redis could not be reached.
   */
  async fill(requests: readonly FillRequest[], now = Date.now()): Promise<boolean> {
    if (requests.length === 0) return true;
    const written = await this.guarded('fill', async () => {
      const pipeline = this.redis.pipeline();
      for (const request of requests) {
        for (const tag of request.create) {
          pipeline.set(this.keys.tagVersion(tag), request.versions[tag]!, 'EX', VERSION_TTL_SECONDS, 'NX');
        }
        pipeline.set(request.key, encodeEntry(request.entry, request.versions), 'PX', entryTtlMs(request, now));
      }
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
      return true;
    });
    return written === true;
  }

  /**
   * Takes a short lock on `key` (SET NX PX): resolves to the owner token to unlock with, null
   * when another holds it, undefined when Redis could not be asked.
   */
  async lock(key: string, ttlMs: number): Promise<string | null | undefined> {
    const owner = randomUUID();
    const result = await this.guarded('lock', () => this.redis.set(`${key}:lock`, owner, 'PX', ttlMs, 'NX'));
    return result === undefined ? undefined : result === 'OK' ? owner : null;
  }

  /** Releases the lock on `key` if `owner` still holds it. */
  async unlock(key: string, owner: string): Promise<void> {
    await this.guarded('unlock', () => this.redis.cacheUnlock(1, `${key}:lock`, owner));
  }

  /**
   * Stamps `tags` with a new version, so no entry built before is served again: one round trip
   * for the stamp, one for the tags. Resolves false when Redis could not be reached.
   */
  async invalidate(tags: readonly string[]): Promise<boolean> {
    if (tags.length === 0) return true;
    // Invalidation must not be skipped by an open circuit: try regardless, count the outcome.
    try {
      await withTimeout(
        (async () => {
          this.events.onRoundTrip?.('stamp');
          const stamp = await this.redis.cacheStamp(1, this.keys.tagVersion(ANY_TAG));
          this.events.onRoundTrip?.('invalidate');
          const pipeline = this.redis.pipeline();
          for (const tag of tags) pipeline.set(this.keys.tagVersion(tag), stamp, 'EX', VERSION_TTL_SECONDS);
          const results = await pipeline.exec();
          const failed = results?.find(([error]) => error);
          if (failed) throw failed[0];
        })(),
        this.timeoutMs,
        'invalidate',
      );
      this.breaker.success();
      return true;
    } catch (error) {
      this.breaker.failure();
      this.events.onError?.('invalidate', error);
      return false;
    }
  }
}

/** For `TwoTierCache`'s `store` option: a Redis store over `redis` (the cache client). */
export function redisStore(redis: Redis): StoreFactory {
  return ({ keys, breaker, events, timeoutMs }) => new RedisStore(redis, keys, breaker, events, timeoutMs);
}

/**
 * An MGET's reply, refused unless it is an array: the checker once saw a string come back under
 * injected faults, which threw out of a read that must never throw. Refused, it is a failed call.
 */
function arrayReply(reply: unknown): (string | null)[] {
  if (!Array.isArray(reply)) throw new Error(`Redis answered an MGET with ${typeof reply}, not an array`);
  return reply as (string | null)[];
}
