/**
 * For tests that look at the Redis keys behind a cache, or share its connection: the client of
 * the cache's Redis store (it fails the test if the cache has another store, or none).
 */
import type Redis from 'ioredis';
import { RedisStore } from '../../src/cache/redis-store';
import type { TwoTierCache } from '../../src/cache/two-tier-cache';

export function redisOf(cache: TwoTierCache): Redis {
  if (!(cache.store instanceof RedisStore)) throw new Error('this cache has no Redis store');
  return cache.store.client;
}
