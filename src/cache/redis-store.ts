/**
 * L2: the shared Redis tier. Reads are one MGET per batch; writes and invalidations are Lua
 * scripts, so an entry, its tag sets and its version check happen atomically. Every call is
 * guarded by the circuit breaker and never throws: a failure is a miss (reads) or a skipped
 * write, and is counted.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { CircuitBreaker } from './circuit-breaker';
import type { KeySpace } from './keys';
import type { CacheEntry } from './l1';

/**
 * Writes an entry only if none of its tags was invalidated since the caller read their
 * versions (a reader that loaded from the database before a write committed must not put the
 * old value back after the write's invalidation). Registers the key in each tag's set and
 * keeps the set alive at least as long as the entry.
 *
 * Two kinds of check: a tag's version equals what the lookup saw; or, for tags learnt only
 * while computing (a whole response's), the tag was last invalidated no later than `since`
 * (the invalidation counter the lookup saw).
 * KEYS: [entryKey, tagVersionKey (equal)..., tagVersionKey (since)..., tagSetKey...]
 * ARGV: [payload, ttlMs, checks, expected..., since, sinceChecks]
 */
const FILL_SCRIPT = `
local checks = tonumber(ARGV[3])
for i = 1, checks do
  local current = redis.call('GET', KEYS[1 + i]) or ''
  if current ~= ARGV[3 + i] then return 0 end
end
local since = tonumber(ARGV[4 + checks])
local sinceChecks = tonumber(ARGV[5 + checks])
for i = 1, sinceChecks do
  if tonumber(redis.call('GET', KEYS[1 + checks + i]) or '0') > since then return 0 end
end
local ttlMs = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttlMs)
local ttlS = math.ceil(ttlMs / 1000)
for i = 2 + checks + sinceChecks, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('TTL', KEYS[i]) < ttlS then redis.call('EXPIRE', KEYS[i], ttlS) end
end
return 1
`;

/**
 * Invalidates tags: moves the invalidation counter (the version of `*`) on, stamps each tag
 * with it (so in-flight fills of old data are refused), and deletes every entry registered
 * under each tag, then the set itself. The counter is Redis's clock in microseconds (or one
 * past its last value, should the clock step back), not a count: a count starts again at 1
 * when Redis restarts empty or the counter expires, and a response computed across that
 * restart would pass the "not invalidated since" check against a stamp far below its lookup's.
 * KEYS: [anyTagVersionKey, then tagVersionKey, tagSetKey pairs]; ARGV: [versionTtlSeconds]
 */
const INVALIDATE_SCRIPT = `
local deleted = 0
local time = redis.call('TIME')
local stamp = math.max(tonumber(time[1]) * 1000000 + tonumber(time[2]), tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
redis.call('SET', KEYS[1], string.format('%d', stamp), 'EX', tonumber(ARGV[1]))
for i = 2, #KEYS, 2 do
  redis.call('SET', KEYS[i], string.format('%d', stamp), 'EX', tonumber(ARGV[1]))
  local members = redis.call('SMEMBERS', KEYS[i + 1])
  for j = 1, #members, 500 do
    deleted = deleted + redis.call('DEL', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('DEL', KEYS[i + 1])
end
return deleted
`;

/**
 * Sets the key generation to the larger of Redis's and `atLeast`, plus `step` (0: agree on the
 * newest one known; 1: a purge, past every generation any instance uses). Never moves it back.
 * KEYS: [generationKey]; ARGV: [atLeast, step]; returns the generation now in force.
 */
/** Deletes a lock only if it is still the caller's (it may have expired and been taken since). */
const UNLOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const GENERATION_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local next = math.max(current, tonumber(ARGV[1])) + tonumber(ARGV[2])
if next ~= current then redis.call('SET', KEYS[1], next) end
return next
`;

interface ScriptedRedis extends Redis {
  cacheFill(numKeys: number, ...args: (string | number)[]): Promise<number>;
  cacheInvalidate(numKeys: number, ...args: (string | number)[]): Promise<number>;
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

export interface RedisStoreEvents {
  /** One per command sent (a batch counts once). */
  onRoundTrip?: (command: string) => void;
  onError?: (operation: string, error: unknown) => void;
}

export interface FillRequest {
  key: string;
  entry: CacheEntry;
  /** Versions of tags read before the value was computed; a change since refuses the write. */
  expectedVersions?: ReadonlyMap<string, string>;
  /** Tags that must not have been invalidated after the counter stood at `since`. */
  notInvalidatedSince?: { since: string; tags: readonly string[] };
  /** Extra milliseconds of life so entries written together do not expire together. */
  jitterMs: number;
}

/** The tag every invalidation bumps: a check against it refuses a fill after any write. */
export const ANY_TAG = '*';

/** Tag versions are kept a day: far longer than any entry that could have read them. */
const VERSION_TTL_SECONDS = 24 * 3600;

export class RedisStore {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly keys: KeySpace,
    private readonly breaker: CircuitBreaker,
    private readonly events: RedisStoreEvents = {},
    /** Default 250. How long a call may take before it counts as failed. */
    private readonly timeoutMs = 250,
  ) {
    redis.defineCommand('cacheFill', { lua: FILL_SCRIPT });
    redis.defineCommand('cacheInvalidate', { lua: INVALIDATE_SCRIPT });
    redis.defineCommand('cacheGeneration', { lua: GENERATION_SCRIPT });
    redis.defineCommand('cacheUnlock', { lua: UNLOCK_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  get client(): Redis {
    return this.redis;
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
   * One MGET for `keys`, the versions of `versionTags` and the key generation in force. Entries
   * come back decoded (or undefined); versions as strings ('' when never invalidated).
   * Undefined when Redis failed.
   */
  async read(
    keys: readonly string[],
    versionTags: readonly string[] = [],
  ): Promise<{ entries: (CacheEntry | undefined)[]; versions: Map<string, string>; generation: number } | undefined> {
    const all = [...keys, ...versionTags.map((tag) => this.keys.tagVersion(tag)), this.keys.generationKey];
    const raw = await this.guarded('mget', () => this.redis.mget(...all));
    if (!raw) return undefined;
    const entries = raw.slice(0, keys.length).map((payload) => decode(payload));
    const versions = new Map<string, string>();
    versionTags.forEach((tag, i) => versions.set(tag, raw[keys.length + i] ?? ''));
    return { entries, versions, generation: Number(raw[all.length - 1] ?? 0) };
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
   * Writes entries, each atomically with its tag sets; all in one pipelined round trip. Says,
   * per entry, whether it was written (false: a tag moved on since the lookup); undefined when
   * Redis could not be reached.
   */
  async fill(requests: readonly FillRequest[], now = Date.now()): Promise<boolean[] | undefined> {
    if (requests.length === 0) return [];
    return this.guarded('fill', async () => {
      const results = await Promise.all(
        requests.map((request) => {
          const ttlMs = request.entry.staleUntil - now + request.jitterMs;
          const checks = [...(request.expectedVersions ?? new Map<string, string>())];
          const since = request.notInvalidatedSince ?? { since: '0', tags: [] };
          const keys = [
            request.key,
            ...checks.map(([tag]) => this.keys.tagVersion(tag)),
            ...since.tags.map((tag) => this.keys.tagVersion(tag)),
            ...request.entry.tags.map((tag) => this.keys.tagSet(tag)),
          ];
          return this.redis.cacheFill(
            keys.length,
            ...keys,
            encode(request.entry),
            Math.max(ttlMs, 1),
            checks.length,
            ...checks.map(([, v]) => v),
            since.since || '0',
            since.tags.length,
          );
        }),
      );
      return results.map((ok) => ok === 1);
    });
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

  /** Deletes every entry built from `tags`; resolves false when Redis could not be reached. */
  async invalidate(tags: readonly string[]): Promise<boolean> {
    if (tags.length === 0) return true;
    const keys = [this.keys.tagVersion(ANY_TAG), ...tags.flatMap((tag) => [this.keys.tagVersion(tag), this.keys.tagSet(tag)])];
    // Invalidation must not be skipped by an open circuit: try regardless, count the outcome.
    this.events.onRoundTrip?.('invalidate');
    try {
      await withTimeout(this.redis.cacheInvalidate(keys.length, ...keys, VERSION_TTL_SECONDS), this.timeoutMs, 'invalidate');
      this.breaker.success();
      return true;
    } catch (error) {
      this.breaker.failure();
      this.events.onError?.('invalidate', error);
      return false;
    }
  }
}

function encode(entry: CacheEntry): string {
  return JSON.stringify({ v: entry.value, t: entry.tags, f: entry.freshUntil, s: entry.staleUntil });
}

function decode(payload: string | null): CacheEntry | undefined {
  if (payload === null) return undefined;
  try {
    const parsed = JSON.parse(payload) as { v: unknown; t: string[]; f: number; s: number };
    return { value: parsed.v, tags: parsed.t, freshUntil: parsed.f, staleUntil: parsed.s };
  } catch {
    // A corrupt entry is a miss; the next fill overwrites it.
    return undefined;
  }
}
