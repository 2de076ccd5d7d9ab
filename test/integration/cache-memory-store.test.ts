/**
 * TwoTierCache over the memory store: the cache needs nothing of Redis but the CacheStore
 * contract. Two caches sharing one MemoryStore stand for two instances sharing Redis.
 */
import type { CacheObserver } from '../../src/cache/cache-stats';
import { KeySpace } from '../../src/cache/keys';
import { memoryStore, MemoryStore } from '../../src/cache/memory-store';
import { TwoTierCache } from '../../src/cache/two-tier-cache';

const lifetime = { ttl: 60, staleWhileRevalidate: 0 };

/** Caches sharing one store, as instances share Redis (no invalidation channel between them). */
function instances() {
  const shared = new MemoryStore();
  return (observer?: CacheObserver) => new TwoTierCache({ keys: new KeySpace('mem', 0), store: memoryStore(shared), observer });
}

async function stored(cache: TwoTierCache, key: string, tag: string, value: unknown) {
  const { token } = await cache.lookup('entity', [key], [tag]);
  await cache.fill([{ key, value, tags: [tag], lifetime, checkTags: [tag] }], token);
  await cache.settled();
}

it('serves what one instance filled to another from the store, until one invalidates it', async () => {
  const instance = instances();
  const [a, b] = [instance(), instance()];
  const key = a.keys.entity('Product', 1);
  await stored(a, key, 'Product:1', { price: 1 });
  const tiers: string[] = [];
  const reader = instance({ lookup: (_source, tier) => tiers.push(tier), roundTrip: () => undefined, error: () => undefined });
  expect((await reader.lookup('entity', [key], ['Product:1'])).entries[0]?.value).toEqual({ price: 1 });
  expect(tiers).toEqual(['l2']);
  expect(await b.invalidate(['Product:1'])).toBe(true);
  expect((await instance().lookup('entity', [key], ['Product:1'])).entries[0]).toBeUndefined();
  // Nothing went over a network: the memory store counts no round trips.
  expect(a.counters.redisRoundTrips + b.counters.redisRoundTrips + reader.counters.redisRoundTrips).toBe(0);
});

it('refuses a fill overtaken by an invalidation made through the store by another instance', async () => {
  const instance = instances();
  const [a, b] = [instance(), instance()];
  const key = a.keys.entity('Product', 2);
  const { token } = await a.lookup('entity', [key], ['Product:2']);
  await b.invalidate(['Product:2']);
  await a.fill([{ key, value: 'old', tags: ['Product:2'], lifetime, checkTags: ['Product:2'] }], token);
  await a.settled();
  expect((await instance().lookup('entity', [key], ['Product:2'])).entries[0]).toBeUndefined();
});

it('lets one instance claim a cold key, and moves every instance on after a purge', async () => {
  const instance = instances();
  const [a, b] = [instance(), instance()];
  const claim = await a.claim('cold', 10_000);
  expect(claim).not.toBeNull();
  expect(await b.claim('cold', 10_000)).toBeNull();
  await claim!.release();
  expect(await b.claim('cold', 10_000)).not.toBeNull();

  const key = a.keys.entity('Product', 3);
  await stored(a, key, 'Product:3', 'kept');
  expect(await a.settleGeneration(1)).toBe(1);
  // b learns the new generation from its next read, and forgets what it had.
  await b.lookup('entity', [key], ['Product:3']);
  expect(b.keys.generation).toBe(1);
  expect((await b.lookup('entity', [b.keys.entity('Product', 3)], ['Product:3'])).entries[0]).toBeUndefined();
});

it('takes a store or a Redis client, not both', () => {
  expect(() => new TwoTierCache({ keys: new KeySpace('mem', 0), store: memoryStore(), redis: {} as never })).toThrow(/not both/);
});
