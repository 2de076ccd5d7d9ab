/**
 * The CacheStore contract (src/cache/store.ts), run word for word against the Redis store (real
 * Redis, a key prefix of its own per store) and the memory store: what one serves, the other
 * serves; what one refuses, the other refuses. Ends with a property over random interleavings
 * of loads, fills, invalidations, evictions and reads on both.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import Redis from 'ioredis';
import { CircuitBreaker } from '../../src/cache/circuit-breaker';
import { KeySpace } from '../../src/cache/keys';
import { MemoryStore } from '../../src/cache/memory-store';
import { RedisStore } from '../../src/cache/redis-store';
import { ANY_TAG, type CacheStore, type FillRequest, type RemoteRead } from '../../src/cache/store';
import { TEST_REDIS_URL } from '../helpers/env';

/** A store under test, with the one thing the contract cannot do through it: lose a version. */
interface Harness {
  store: CacheStore;
  keys: KeySpace;
  /** An entry key of this store's own (Redis stores share one server). */
  key(name: string): string;
  /** Makes the store lose `tag`'s version, as an eviction or a restart would. */
  lose(tag: string): Promise<void>;
}

const suitePrefix = `contract${randomBytes(3).toString('hex')}`;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  const found = await redis.keys(`${suitePrefix}*`);
  for (let i = 0; i < found.length; i += 500) await redis.del(...found.slice(i, i + 500));
  await redis.quit();
});

let stores = 0;
/** Each store gets its own prefix, so its counter, generation and versions start empty. */
function makeRedisStore(): Harness {
  const keys = new KeySpace(`${suitePrefix}${(stores += 1)}`, 0);
  return {
    store: new RedisStore(redis, keys, new CircuitBreaker(), {}, 2000),
    keys,
    key: (name) => keys.entity('E', name),
    lose: async (tag) => void (await redis.del(keys.tagVersion(tag))),
  };
}

const MEMORY_MAX_KEYS = 16;
/** Small, so `lose` is a real eviction: enough newer versions push the oldest out. */
function makeMemoryStore(): Harness {
  const store = new MemoryStore({ maxKeys: MEMORY_MAX_KEYS });
  let flood = 0;
  return {
    store,
    keys: new KeySpace('mem', 0),
    key: (name) => `mem:${name}`,
    lose: async () => {
      // Evicts every version held before, this one among them (and the counter).
      await store.invalidate(Array.from({ length: MEMORY_MAX_KEYS }, () => `flood:${(flood += 1)}`));
    },
  };
}

const lifetime = (ms: number, now = Date.now()) => ({ freshUntil: now + ms, staleUntil: now + ms });

/** A fill of `value` under `tags`, recording `versions`, creating those the store lacked. */
function request(key: string, value: unknown, versions: Record<string, string>, create: string[] = [], ttlMs = 60_000): FillRequest {
  return { key, entry: { value, tags: Object.keys(versions), ...lifetime(ttlMs) }, versions, create, jitterMs: 0 };
}

/** The read rule every caller applies: an entry is served only while each version it recorded is current. */
function served(read: RemoteRead, i = 0): unknown {
  const entry = read.entries[i];
  if (!entry) return undefined;
  const current = entry.tags.every((tag) => {
    const version = read.versions.get(tag);
    return version !== undefined && version !== '' && entry.versions[tag] === version;
  });
  return current ? entry.value : undefined;
}

/** Reads `key` with its tags' versions, as a lookup does, and applies the rule. */
async function serve(store: CacheStore, key: string, tags: readonly string[]): Promise<unknown> {
  return served((await store.read([key], tags))!);
}

/** A version for `tag` as a loader gets it: the store's, or the counter when it has none. */
async function versionsFor(store: CacheStore, tags: readonly string[]) {
  const read = (await store.read([], [...tags, ANY_TAG]))!;
  const counter = read.versions.get(ANY_TAG) || (await store.stamp())!;
  const versions: Record<string, string> = {};
  const create: string[] = [];
  for (const tag of tags) {
    versions[tag] = read.versions.get(tag) || counter;
    if (read.versions.get(tag) === '') create.push(tag);
  }
  return { versions, create };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ['redis', makeRedisStore],
  ['memory', makeMemoryStore],
] as const)('the %s store', (_name, make) => {
  it('reads many keys in one call, in key order, and reports missing versions as empty', async () => {
    const { store, key } = make();
    const { versions, create } = await versionsFor(store, ['A:1']);
    expect(await store.fill([request(key('k1'), 'one', versions, create), request(key('k3'), 'three', versions)])).toBe(true);
    const read = (await store.read([key('k1'), key('k2'), key('k3')], ['A:1', 'B:never']))!;
    expect(read.entries.map((entry) => entry?.value)).toEqual(['one', undefined, 'three']);
    expect(read.versions.get('A:1')).toBe(versions['A:1']);
    expect(read.versions.get('B:never')).toBe('');
    expect(await store.versions(['A:1', 'B:never'])).toEqual(new Map([['A:1', versions['A:1']], ['B:never', '']]));
  });

  it('serves a fill while the versions it recorded are current, and not after an invalidation of one', async () => {
    const { store, key } = make();
    const { versions, create } = await versionsFor(store, ['A:1', 'B:1']);
    await store.fill([request(key('k'), { n: 1 }, versions, create)]);
    expect(await serve(store, key('k'), ['A:1', 'B:1'])).toEqual({ n: 1 });
    expect(await store.invalidate(['B:2'])).toBe(true);
    expect(await serve(store, key('k'), ['A:1', 'B:1'])).toEqual({ n: 1 });
    expect(await store.invalidate(['B:1'])).toBe(true);
    expect(await serve(store, key('k'), ['A:1', 'B:1'])).toBeUndefined();
  });

  it('reads a lost version as changed: the entries that recorded it are misses', async () => {
    const harness = make();
    const { store, key } = harness;
    await store.invalidate(['A:1']);
    const { versions } = await versionsFor(store, ['A:1']);
    await store.fill([request(key('k'), 'v', versions)]);
    expect(await serve(store, key('k'), ['A:1'])).toBe('v');
    await harness.lose('A:1');
    expect((await store.versions(['A:1']))!.get('A:1')).toBe('');
    expect(await serve(store, key('k'), ['A:1'])).toBeUndefined();
  });

  it('creates a missing version, and never overwrites one that appeared meanwhile', async () => {
    const { store, key } = make();
    const first = await versionsFor(store, ['A:1']);
    expect(first.create).toEqual(['A:1']);
    // A write stamps the tag after the load read it missing, before the fill.
    await store.invalidate(['A:1']);
    const stamped = (await store.versions(['A:1']))!.get('A:1')!;
    await store.fill([request(key('k'), 'old', first.versions, first.create)]);
    expect((await store.versions(['A:1']))!.get('A:1')).toBe(stamped);
    expect(await serve(store, key('k'), ['A:1'])).toBeUndefined();

    const second = await versionsFor(store, ['B:1']);
    await store.fill([request(key('k2'), 'new', second.versions, second.create)]);
    expect((await store.versions(['B:1']))!.get('B:1')).toBe(second.versions['B:1']);
    expect(await serve(store, key('k2'), ['B:1'])).toBe('new');
  });

  it('hands out unique, increasing stamps, and invalidates with a fresh one', async () => {
    const { store } = make();
    const sequential: number[] = [];
    for (let i = 0; i < 20; i += 1) sequential.push(Number(await store.stamp()));
    expect(sequential).toEqual([...sequential].sort((a, b) => a - b));
    expect(new Set(sequential).size).toBe(sequential.length);
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => store.stamp()));
    expect(new Set(concurrent).size).toBe(concurrent.length);
    expect(Math.min(...concurrent.map(Number))).toBeGreaterThan(Math.max(...sequential));
    await store.invalidate(['A:1']);
    const [counter, tag] = [...(await store.versions([ANY_TAG, 'A:1']))!.values()].map(Number);
    expect(tag).toBe(counter);
    expect(counter).toBeGreaterThan(Math.max(...concurrent.map(Number)));
  });

  it('lets one owner hold a lock, and only the owner release it', async () => {
    const { store, key } = make();
    const owner = await store.lock(key('k'), 60_000);
    expect(typeof owner).toBe('string');
    expect(await store.lock(key('k'), 60_000)).toBeNull();
    expect(typeof (await store.lock(key('other'), 60_000))).toBe('string');
    await store.unlock(key('k'), 'not-the-owner');
    expect(await store.lock(key('k'), 60_000)).toBeNull();
    await store.unlock(key('k'), owner!);
    const next = await store.lock(key('k'), 60_000);
    expect(typeof next).toBe('string');
    expect(next).not.toBe(owner);
  });

  it('lets entries and locks expire', async () => {
    const { store, key } = make();
    const { versions, create } = await versionsFor(store, ['A:1']);
    await store.fill([request(key('short'), 's', versions, create, 1), request(key('long'), 'l', versions, [], 60_000)]);
    const held = await store.lock(key('k'), 1);
    expect(typeof held).toBe('string');
    await sleep(30);
    const read = (await store.read([key('short'), key('long')], ['A:1']))!;
    expect(read.entries[0]).toBeUndefined();
    expect(served(read, 1)).toBe('l');
    expect(typeof (await store.lock(key('k'), 60_000))).toBe('string');
  });

  it('settles the key generation on the larger one, never back, and a purge moves past it', async () => {
    const { store } = make();
    expect(await store.settleGeneration(0)).toBe(0);
    expect(await store.settleGeneration(3)).toBe(3);
    expect(await store.settleGeneration(1)).toBe(3);
    expect(await store.settleGeneration(2, 1)).toBe(4);
    expect((await store.read([]))!.generation).toBe(4);
  });

  it('clears by a purge: keys of the new generation miss everything filled before', async () => {
    const { store, keys } = make();
    const { versions, create } = await versionsFor(store, ['A:1']);
    await store.fill([request(keys.entity('A', 1), 'before', versions, create)]);
    expect(await serve(store, keys.entity('A', 1), ['A:1'])).toBe('before');
    const generation = (await store.settleGeneration(keys.generation, 1))!;
    expect(generation).toBe(keys.generation + 1);
    const after = new KeySpace(keys.prefix, generation);
    const read = (await store.read([after.entity('A', 1)], ['A:1']))!;
    expect(read.generation).toBe(generation);
    expect(read.entries[0]).toBeUndefined();
  });
});

/**
 * The core rule, over random interleavings: a load reads the versions of its tags, then its
 * data (the model's database); a write commits, then invalidates its tag; a read serves only
 * what the rule allows. Whatever a read serves must hold, for each of its tags, the data as of
 * the last write acknowledged before the read: nothing read before an invalidation survives it.
 *
 * With `losses`, versions are also lost (evicted, Redis restarted empty). The store alone cannot
 * then keep the rule: a load that saw a tag with no version, overtaken by a write whose version
 * is lost before the fill, creates the tag again at the version it saw, and is served. The
 * cache closes that window itself: the filling instance hears every write before the write is
 * acknowledged and refuses a fill whose tags were invalidated since its lookup
 * (`TwoTierCache.isCurrent`), which the model does too when losses are on.
 */
function interleavings(make: () => Harness, options: { losses: boolean }) {
  const TAGS = ['T:1', 'T:2'];
  const KEYS = ['k1', 'k2'];
  type Op =
    | { kind: 'load'; key: string; tags: string[] }
    | { kind: 'fill'; which: number }
    | { kind: 'write'; tag: string }
    | { kind: 'lose'; tag: string }
    | { kind: 'read'; key: string };
  const tag = fc.constantFrom(...TAGS);
  // Weighted so that most runs fill and read back entries (a property that never serves
  // anything proves nothing), with writes and losses among them.
  const ops: fc.WeightedArbitrary<Op>[] = [
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('load' as const), key: fc.constantFrom(...KEYS), tags: fc.uniqueArray(tag, { minLength: 1, maxLength: TAGS.length }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('fill' as const), which: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('write' as const), tag }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), key: fc.constantFrom(...KEYS) }) },
  ];
  if (options.losses) ops.push({ weight: 1, arbitrary: fc.record({ kind: fc.constant('lose' as const), tag }) });

  return fc.asyncProperty(fc.array(fc.oneof(...ops), { minLength: 10, maxLength: 60 }), async (steps) => {
    const { store, lose, key } = make();
    /** The database: per tag, how many writes have committed. */
    const db = new Map(TAGS.map((t) => [t, 0]));
    const loads: { key: string; tags: string[]; versions: Record<string, string>; create: string[]; data: Record<string, number> }[] = [];
    const tagsOf = new Map<string, string[]>();
    for (const step of steps) {
      if (step.kind === 'load') {
        // Versions first, then the data: what a loader does.
        const { versions, create } = await versionsFor(store, step.tags);
        loads.push({ key: key(step.key), tags: step.tags, versions, create, data: Object.fromEntries(step.tags.map((t) => [t, db.get(t)!])) });
      } else if (step.kind === 'fill' && loads.length > 0) {
        const [load] = loads.splice(step.which % loads.length, 1);
        const overtaken = load!.tags.some((t) => db.get(t) !== load!.data[t]);
        if (options.losses && overtaken) continue;
        await store.fill([request(load!.key, load!.data, load!.versions, load!.create)]);
        tagsOf.set(load!.key, load!.tags);
      } else if (step.kind === 'write') {
        db.set(step.tag, db.get(step.tag)! + 1);
        expect(await store.invalidate([step.tag])).toBe(true);
      } else if (step.kind === 'lose') {
        await lose(step.tag);
      } else if (step.kind === 'read') {
        const value = (await serve(store, key(step.key), tagsOf.get(key(step.key)) ?? [])) as Record<string, number> | undefined;
        if (value) for (const [t, seen] of Object.entries(value)) expect(seen).toBe(db.get(t));
      }
    }
  });
}

describe.each([
  ['redis', makeRedisStore, 100],
  ['memory', makeMemoryStore, 500],
] as const)('the %s store, under random interleavings', (_name, make, numRuns) => {
  it('never serves data read before an invalidation of one of its tags', async () => {
    await fc.assert(interleavings(make, { losses: false }), { numRuns });
  });

  it('nor when versions are lost, given the filler refuses fills overtaken by a write it heard of', async () => {
    await fc.assert(interleavings(make, { losses: true }), { numRuns });
  });
});
