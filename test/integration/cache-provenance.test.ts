/**
 * What a value built from other cached values is stored with in Redis: the versions its parts
 * were checked against, never those current when it is stored. Real Redis, two caches standing
 * for two instances, the invalidation's two round trips taken apart by hand.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { KeySpace } from '../../src/cache/keys';
import { ANY_TAG } from '../../src/cache/store';
import { newRequestScope, touchTags, withRequestScope } from '../../src/cache/request-scope';
import { TwoTierCache } from '../../src/cache/two-tier-cache';
import { redisOf } from '../helpers/cache-store';
import { TEST_REDIS_URL } from '../helpers/env';

const prefix = `prov${randomBytes(3).toString('hex')}`;
const keys = () => new KeySpace(prefix, 0, 'shape');
const lifetime = { ttl: 60, staleWhileRevalidate: 0 };
const clients: Redis[] = [];
const cacheOnRedis = () => {
  const redis = new Redis(TEST_REDIS_URL);
  clients.push(redis);
  return new TwoTierCache({ keys: keys(), redis });
};

afterAll(async () => {
  const redis = new Redis(TEST_REDIS_URL);
  const found = await redis.keys(`${prefix}:*`);
  if (found.length > 0) await redis.del(...found);
  await Promise.all([...clients, redis].map((client) => client.quit()));
});

/** Stores `value` for `key` under `tag` as a loader does: lookup, then fill with its token. */
async function stored(cache: TwoTierCache, key: string, tag: string, value: unknown) {
  const { token } = await cache.lookup('entity', [key], [tag]);
  await cache.fill([{ key, value, tags: [tag], lifetime, checkTags: [tag] }], token);
  await cache.settled();
}

it('a response read between an invalidation moving the counter and stamping its tags is never served', async () => {
  const writer = cacheOnRedis();
  const reader = cacheOnRedis();
  const tag = 'Product:1';
  const entity = writer.keys.entity('Product', 1);
  await stored(writer, entity, tag, { price: 100 });
  const response = reader.keys.response('doc', undefined);

  // The writer's invalidation, first round trip: the counter moves on; the tag is not yet stamped.
  const stamp = (await writer.store!.stamp())!;
  const scope = newRequestScope('r1');
  await withRequestScope(scope, async () => {
    const { token } = await reader.lookup('response', [response], [ANY_TAG]);
    // The entity still passes its check against the tag's old version.
    const { entries } = await reader.lookup('Product', [entity], [tag]);
    expect(entries[0]?.value).toEqual({ price: 100 });
    touchTags(entries[0]!.tags, entries[0]!.versions);
    // Second round trip: the tag gets the new version, before the response is stored.
    await redisOf(writer).set(writer.keys.tagVersion(tag), stamp);
    await reader.fill([{ key: response, value: '{"price":100}', tags: [...scope.tags], lifetime, checkTags: [], touchedTags: [...scope.tags], versions: scope.versions }], token);
    await reader.settled();
  });

  const third = cacheOnRedis();
  expect((await third.lookup('response', [response], [ANY_TAG])).entries[0]).toBeUndefined();
});

it('a value built from parts that straddle a write is not stored in Redis, and one from agreeing parts is', async () => {
  const cache = cacheOnRedis();
  const tag = 'Product:2';
  const entity = cache.keys.entity('Product', 2);
  await stored(cache, entity, tag, { price: 200 });
  const fill = async (key: string, read: () => Promise<void>) => {
    const scope = newRequestScope(key);
    await withRequestScope(scope, async () => {
      const { token } = await cache.lookup('response', [key], [ANY_TAG]);
      await read();
      await cache.fill([{ key, value: '{}', tags: [...scope.tags], lifetime, checkTags: [], touchedTags: [...scope.tags], versions: scope.versions }], token);
      await cache.settled();
    });
  };
  const readEntity = async () => {
    const { entries } = await cache.lookup('Product', [entity], [tag]);
    touchTags(entries[0]!.tags, entries[0]!.versions);
  };

  const agreeing = cache.keys.response('agreeing', undefined);
  await fill(agreeing, async () => {
    await readEntity();
    await readEntity();
  });
  const straddling = cache.keys.response('straddling', undefined);
  await fill(straddling, async () => {
    await readEntity();
    // Another part, checked against a later version of the same tag.
    touchTags([tag], { [tag]: '99999999999999999' });
  });

  const other = cacheOnRedis();
  expect((await other.lookup('response', [agreeing], [ANY_TAG])).entries[0]?.value).toBe('{}');
  expect((await other.lookup('response', [straddling], [ANY_TAG])).entries[0]).toBeUndefined();
});
