/**
 * The cache under trouble, on a real Redis: a reader overtaken by a write, an instance that
 * hears an invalidation too late or loses its subscriber, Redis cut off and back, and bounded
 * key counts over a long mixed run.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { InvalidationChannel } from '../../src/cache/invalidation-channel';
import { KeySpace } from '../../src/cache/keys';
import { ANY_TAG } from '../../src/cache/store';
import { TwoTierCache } from '../../src/cache/two-tier-cache';
import { createCacheClient, createSubscriberClient } from '../../src/redis/clients';
import { benchDocument } from '../helpers/documents';
import { TEST_REDIS_URL } from '../helpers/env';
import { startTestServer, type TestServer } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { redisOf } from '../helpers/cache-store';
import { until } from '../helpers/until';

const lifetime = { ttl: 60, staleWhileRevalidate: 0 };
let redis: Redis;
const clients: Redis[] = [];

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await Promise.all([redis, ...clients].map((c) => c.quit().catch(() => undefined)));
});

/**
 * Whether Redis could still serve the entry at `key`: it exists and every tag version it
 * recorded is the one Redis holds now (what a read checks).
 */
async function servable(keys: KeySpace, key: string): Promise<boolean> {
  const payload = await redis.get(key);
  if (!payload) return false;
  const recorded = (JSON.parse(payload) as { r?: Record<string, string> }).r ?? {};
  const tags = Object.keys(recorded);
  const current = tags.length > 0 ? await redis.mget(...tags.map((tag) => keys.tagVersion(tag))) : [];
  return tags.every((tag, i) => current[i] !== null && current[i] === recorded[tag]);
}

function newCache(prefix: string, generation = 0): TwoTierCache {
  const client = createCacheClient({ url: TEST_REDIS_URL });
  clients.push(client);
  return new TwoTierCache({ keys: new KeySpace(prefix, generation), redis: client });
}

describe('a read overtaken by a write', () => {
  it('cannot put the old value back in Redis after the write invalidated it', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const reader = newCache(prefix);
    const writer = newCache(prefix);
    const key = reader.keys.entity('Product', 1);
    await until(() => reader.store!.ready && writer.store!.ready);

    // The reader misses and goes to the database...
    const { token } = await reader.lookup('Product', [key], ['Product:1']);
    // ...meanwhile a write commits and invalidates...
    await writer.invalidate(['Product:1']);
    // ...and the reader's old row arrives after it. (The writer's message has not reached the
    // reader, so its L1 takes the row.) In Redis it records the version it was read under,
    // which the write has moved on: no instance can be served it.
    await reader.fill([{ key, value: { price: 'old' }, tags: ['Product:1'], lifetime, checkTags: ['Product:1'] }], token);
    expect(await servable(reader.keys, key)).toBe(false);
    const other = newCache(prefix);
    await until(() => other.store!.ready);
    expect((await other.lookup('Product', [key], ['Product:1'])).entries[0]).toBeUndefined();

    // A reader that started after the write fills normally.
    const fresh = await other.lookup('Product', [key], ['Product:1']);
    await other.fill([{ key, value: { price: 'new' }, tags: ['Product:1'], lifetime, checkTags: ['Product:1'] }], fresh.token);
    expect(await servable(other.keys, key)).toBe(true);
    const third = newCache(prefix);
    await until(() => third.store!.ready);
    expect((await third.lookup('Product', [key], ['Product:1'])).entries[0]?.value).toEqual({ price: 'new' });
  });
});

describe('instances that disagree on the key generation', () => {
  // Redis restarted without persistence and forgot the generation: an instance started since
  // reads 0, the others keep the one a purge gave them. Until they agree, their entries live
  // under different keys, and a write on either must still delete the other's.
  it('delete each other\'s entries when they invalidate a tag', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const older = newCache(prefix, 5);
    const newer = newCache(prefix, 0);
    await until(() => older.store!.ready && newer.store!.ready);
    // Filled with the versions a lookup saw, but without one: a Redis read would make them agree.
    const fillFor = async (cache: TwoTierCache) => {
      const key = cache.keys.entity('Product', 3);
      const version = (await redis.get(cache.keys.tagVersion('Product:3'))) ?? '';
      const since = (await redis.get(cache.keys.tagVersion(ANY_TAG))) ?? '1';
      const remote = new Map([['Product:3', version], [ANY_TAG, since]]);
      await cache.fill([{ key, value: { price: 'old' }, tags: ['Product:3'], lifetime, checkTags: ['Product:3'] }], { remote, local: new Map(), l1Epoch: 0 });
      expect(await servable(cache.keys, key)).toBe(true);
      return key;
    };
    const olderKey = await fillFor(older);
    await newer.invalidate(['Product:3']);
    expect(await servable(older.keys, olderKey)).toBe(false);

    // Another instance on generation 0 (this one has invalidations of its own in its memory).
    const alsoNewer = newCache(prefix, 0);
    await until(() => alsoNewer.store!.ready);
    const newerKey = await fillFor(alsoNewer);
    await older.invalidate(['Product:3']);
    expect(await servable(alsoNewer.keys, newerKey)).toBe(false);
  });

  it('a purge an instance did not hear of is taken up at its next Redis read, which it does not use', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const writer = newCache(prefix);
    const reader = newCache(prefix);
    await until(() => writer.store!.ready && reader.store!.ready);
    const key = writer.keys.entity('Product', 4);
    const { token } = await writer.lookup('Product', [key], ['Product:4']);
    await writer.fill([{ key, value: { price: 'before the purge' }, tags: ['Product:4'], lifetime, checkTags: ['Product:4'] }], token);
    // What a purge does in Redis, without the message (the reader's subscriber was away).
    await redis.set(reader.keys.generationKey, '3');
    const read = await reader.lookup('Product', [key], ['Product:4']);
    expect(read.entries[0]).toBeUndefined();
    expect(reader.keys.generation).toBe(3);
  });

  it('a Redis that forgot the generation is given it back, so instances started since take it up', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const older = newCache(prefix, 5);
    await until(() => older.store!.ready);
    await older.lookup('Product', [older.keys.entity('Product', 6)], ['Product:6']);
    await older.settled();
    expect(await redis.get(older.keys.generationKey)).toBe('5');
  });

  it('a purge by an instance behind the others moves them on too', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const ahead = newCache(prefix, 5);
    const behind = newCache(prefix, 0);
    const channels = [ahead, behind].map(
      (cache) =>
        new InvalidationChannel({
          cache,
          publisher: redisOf(cache),
          subscriber: createSubscriberClient({ url: TEST_REDIS_URL }),
          prefix,
          ackTimeoutMs: 5000,
        }),
    );
    try {
      await Promise.all(channels.map((channel) => channel.start()));
      const { generation, acknowledged } = await channels[1]!.purge();
      expect(acknowledged).toBe(2);
      expect(behind.keys.generation).toBe(generation);
      // The one ahead left its own generation behind, and told Redis where it went.
      expect(ahead.keys.generation).toBe(6);
      await until(async () => (await redis.get(ahead.keys.generationKey)) === '6');
    } finally {
      await Promise.all(channels.map((channel) => channel.stop()));
    }
  });
});

describe('L1 and Redis', () => {
  it('a fill is in L1 as soon as it is made, before Redis has answered', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const cache = newCache(prefix);
    await until(() => cache.store!.ready);
    const key = cache.keys.entity('Product', 2);
    const { token } = await cache.lookup('Product', [key], ['Product:2']);
    const written = cache.fill([{ key, value: { price: 1 }, tags: ['Product:2'], lifetime, checkTags: ['Product:2'] }], token);
    // Still in the synchronous stretch that made the fill: no reply from Redis can have been
    // read yet. (Asking Redis here would race the fill's own script on another connection.)
    expect(cache.peek(key)?.value).toEqual({ price: 1 });
    await written;
    expect(JSON.parse((await redis.get(key))!).v).toEqual({ price: 1 });
  });
});

describe('invalidations', () => {
  it('concurrent ones share round trips, and each still returns only once its tags are gone', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const cache = newCache(prefix);
    await until(() => cache.store!.ready);
    const tags = Array.from({ length: 10 }, (_, i) => `Product:${i}`);
    const before = cache.counters.redisRoundTrips;
    await Promise.all(
      tags.map(async (tag) => {
        await cache.invalidate([tag]);
        // This tag's version has moved in Redis by the time its invalidation returns.
        expect(await redis.exists(cache.keys.tagVersion(tag))).toBe(1);
      }),
    );
    // The first goes alone; the nine that came while it was under way go together after it. Each
    // takes two round trips: the new stamp, then the tags.
    expect(cache.counters.redisRoundTrips - before).toBe(4);
  });
});

describe('a whole response, whose tags are known only once computed', () => {
  it('is stored despite writes to other things meanwhile, and refused after a write to what it holds', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const reader = newCache(prefix);
    const writer = newCache(prefix);
    await until(() => reader.store!.ready && writer.store!.ready);
    const fill = (key: string) => ({ key, value: 'bytes', tags: ['Product:1'], lifetime, checkTags: [], touchedTags: ['Product:1'] });

    const unrelated = reader.keys.response('a');
    const first = await reader.lookup('response', [unrelated], [ANY_TAG]);
    await writer.invalidate(['Product:99']);
    await reader.fill([fill(unrelated)], first.token);
    expect(await redis.get(unrelated)).not.toBeNull();

    const overtaken = reader.keys.response('b');
    const second = await reader.lookup('response', [overtaken], [ANY_TAG]);
    await writer.invalidate(['Product:1']);
    await reader.fill([fill(overtaken)], second.token);
    expect(await redis.get(overtaken)).toBeNull();
    expect(reader.peek(overtaken)).toBeUndefined();
  });
});

describe('an instance that may have missed invalidations', () => {
  let cache: TwoTierCache;
  let channel: InvalidationChannel;
  let prefix: string;

  beforeAll(async () => {
    prefix = `t${randomBytes(4).toString('hex')}`;
    cache = newCache(prefix);
    const subscriber = createSubscriberClient({ url: TEST_REDIS_URL, connectionName: `sub-${prefix}` });
    channel = new InvalidationChannel({ cache, publisher: redisOf(cache), subscriber, prefix, ackTimeoutMs: 200 });
    await channel.start();
  });
  afterAll(() => channel.stop());

  const warmL1 = async () => {
    const key = cache.keys.entity('Product', 5);
    const { token } = await cache.lookup('Product', [key], []);
    await cache.fill([{ key, value: 1, tags: ['Product:5'], lifetime, checkTags: [] }], token);
  };

  it('empties its L1 when the writer stopped waiting before it acknowledged', async () => {
    await warmL1();
    expect(cache.l1.size).toBe(1);
    // A message about something else entirely, then the writer's notice that it gave up without
    // this instance's acknowledgement: the instance cannot know what it served meanwhile.
    await redis.publish(`${prefix}:invalidate`, JSON.stringify({ id: 'late-1', from: 'writer', tags: ['Other:1'] }));
    await redis.publish(`${prefix}:invalidate`, JSON.stringify({ id: 'late-1', from: 'writer', tags: [], abandoned: ['someone-else'] }));
    await until(() => cache.l1.size === 0);
  });

  it('keeps its L1 when it acknowledged in time, whatever the writer\'s clock says', async () => {
    await warmL1();
    // A writer whose clock runs an hour ahead (its old deadline field would be long past here).
    await redis.publish(`${prefix}:invalidate`, JSON.stringify({ id: 'skew-1', from: 'writer', tags: ['Other:2'], deadline: Date.now() - 3_600_000 }));
    await redis.publish(`${prefix}:invalidate`, JSON.stringify({ id: 'skew-1', from: 'writer', tags: [], abandoned: [channel.instanceId] }));
    // A marker after both: once it has been handled, so have they.
    const marker = channel.invalidate(['Marker:1']);
    expect(await marker).toEqual({ receivers: 1, acknowledged: 1, stored: true });
    expect(cache.peek(cache.keys.entity('Product', 5))?.value).toBe(1);
  });

  it('a writer that times out names who acknowledged, so only the late one empties its L1', async () => {
    // A receiver that never answers: subscribed, but acknowledges nothing.
    const mute = new Redis(TEST_REDIS_URL);
    clients.push(mute);
    const notices: unknown[] = [];
    mute.on('message', (_channel: string, payload: string) => notices.push(JSON.parse(payload)));
    await mute.subscribe(`${prefix}:invalidate`);
    const result = await channel.invalidate(['Product:6']);
    expect(result).toEqual({ receivers: 2, acknowledged: 1, stored: true });
    await until(() => notices.length === 2);
    expect(notices[1]).toMatchObject({ tags: [], abandoned: [channel.instanceId] });
    await mute.unsubscribe();
  });

  it('stops using L1 while its subscriber is disconnected, and resumes, emptied, once back', async () => {
    await warmL1();
    expect(cache.l1.size).toBe(1);
    // Only this test's subscriber: other files share this Redis.
    const clients = (await redis.client('LIST')) as string;
    const mine = clients.split('\n').find((line) => line.includes(` name=sub-${prefix} `));
    expect(mine).toBeDefined();
    await redis.client('KILL', 'ID', /id=(\d+)/.exec(mine!)![1]!);
    await until(() => !cache.isL1Trusted);
    expect(cache.l1.size).toBe(0);
    await until(() => cache.isL1Trusted);
    expect(cache.l1.size).toBe(0);
    // And it hears invalidations again.
    expect(await channel.invalidate(['Product:5'])).toEqual({ receivers: 1, acknowledged: 1, stored: true });
  });
});

describe('Redis cut off and restored', () => {
  let server: TestServer;
  let proxy: TcpProxy;

  beforeAll(async () => {
    const target = new URL(TEST_REDIS_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    server = await startTestServer({
      label: 'resilience',
      redis: true,
      config: { REDIS_URL: proxy.url, REDIS_COMMAND_TIMEOUT_MS: '100' },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
  });

  it('answers every query correctly throughout, and the hit ratio comes back', async () => {
    const cache = server.app.cacheLayer.cache!;
    const admin = await server.login(1);
    const read = async (id: string) => {
      const response = await server.request('query ($id: ID!) { product(id: $id) { id priceCents } }', { id });
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      return response.body.data.product.priceCents as number;
    };

    expect((await server.request(benchDocument('catalog'))).body.errors).toBeUndefined();
    await cache.settled();

    await proxy.cut();
    // Each page asks Redis at every loader level: the first opens the circuit (5 failures).
    for (let i = 0; i < 10; i += 1) {
      const catalog = await server.request(benchDocument('catalog'));
      expect(catalog.body.errors).toBeUndefined();
      expect(catalog.body.data.products.edges).toHaveLength(50);
    }
    // A write while Redis is away still answers, and reads see it at once.
    const update = await server.request(benchDocument('update-price'), { id: '3', priceCents: 4242 }, { token: admin });
    expect(update.body.errors).toBeUndefined();
    expect(await read('3')).toBe(4242);
    expect(cache.breaker.state).not.toBe('closed');
    // /metrics says which loaders and fields went without Redis meanwhile.
    const metrics = await (await server.raw({ path: '/metrics' })).text();
    expect(metrics).toMatch(/storefront_cache_lookup_seconds_count\{source="Product",redis="unavailable"\} [1-9]/);

    await proxy.restore();
    // What L1 holds needs no Redis; a page not seen yet makes the cache probe it.
    let first = 1;
    await until(async () => {
      const page = await server.request('query ($first: Int) { products(first: $first) { edges { node { id } } } }', { first: first++ });
      expect(page.body.errors).toBeUndefined();
      return cache.breaker.state === 'closed' && cache.isL1Trusted;
    });
    // The invalidation owed from the outage went through before L2 was read again.
    expect(await read('3')).toBe(4242);

    await server.request(benchDocument('catalog'));
    await cache.settled();
    const hitsBefore = cache.counters.hits;
    const sql = await server.countSql(() => server.request(benchDocument('catalog')));
    expect(sql).toBe(0);
    expect(cache.counters.hits).toBeGreaterThan(hitsBefore);
    // Pages computed from PostgreSQL while Redis is away: 4 s idle, 25 s on a crowded machine.
  }, 120_000);
});

describe('tag bookkeeping', () => {
  it('keeps the Redis key count flat over a long mixed run', async () => {
    const server = await startTestServer({ label: 'keys', redis: true });
    try {
      const prefix = server.config.cacheKeyPrefix;
      const admin = await server.login(1);
      const round = async (n: number) => {
        const id = String((n % 20) + 1);
        await server.request(benchDocument('catalog'));
        await server.request(benchDocument('product-page'), { id });
        if (n % 3 === 0) await server.request(benchDocument('update-price'), { id, priceCents: 100 + n }, { token: admin });
        // Writes that change what is cached without adding rows (new rows are new keys by right).
        if (n % 4 === 0) await server.request('mutation ($id: ID!) { adjustStock(id: $id, delta: 1) { id } }', { id }, { token: admin });
        await server.app.cacheLayer.cache!.settled();
      };
      const count = async () => {
        let total = 0;
        let cursor = '0';
        do {
          const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          total += batch.length;
        } while (cursor !== '0');
        return total;
      };
      // A Redis call that failed skips its write: the count would measure the machine, not
      // the bookkeeping. So both counts are of a cache that never lost a call.
      const errors = () => server.app.cacheLayer.cache!.counters.errors;
      for (let n = 0; n < 60; n += 1) await round(n);
      expect(errors()).toBe(0);
      const afterWarmUp = await count();
      for (let n = 60; n < 240; n += 1) await round(n);
      expect(errors()).toBe(0);
      const afterLongRun = await count();
      expect(afterWarmUp).toBeGreaterThan(100);
      // Same working set, three times as many operations: no growth beyond noise.
      expect(afterLongRun).toBeLessThanOrEqual(afterWarmUp + 5);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe('an invalidation that lands while a Redis read is on its way', () => {
  it('keeps the read entry out of L1 (it may predate the write)', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const writer = newCache(prefix);
    const reader = newCache(prefix);
    await until(() => writer.store!.ready && reader.store!.ready);
    const key = writer.keys.entity('Product', 7);
    const { token } = await writer.lookup('Product', [key], ['Product:7']);
    await writer.fill([{ key, value: { price: 'old' }, tags: ['Product:7'], lifetime, checkTags: ['Product:7'] }], token);

    // The reader's MGET is sent; before its answer is read, the invalidation message arrives.
    const read = reader.lookup('Product', [key], ['Product:7']);
    reader.dropLocal(['Product:7']);
    const { entries } = await read;
    expect(entries[0]?.value).toEqual({ price: 'old' });
    expect(reader.peek(key)).toBeUndefined();

    // Untouched tags still enter L1 as before.
    const other = writer.keys.entity('Product', 8);
    const second = await writer.lookup('Product', [other], ['Product:8']);
    await writer.fill([{ key: other, value: 8, tags: ['Product:8'], lifetime, checkTags: ['Product:8'] }], second.token);
    const read2 = reader.lookup('Product', [other], ['Product:8']);
    reader.dropLocal(['Product:7']);
    await read2;
    expect(reader.peek(other)?.value).toBe(8);
  });

  it('a fill computed across a loss of the invalidation channel does not enter L1', async () => {
    const cache = newCache(`t${randomBytes(4).toString('hex')}`);
    await until(() => cache.store!.ready);
    const key = cache.keys.entity('Product', 9);
    const { token } = await cache.lookup('Product', [key], ['Product:9']);
    // The subscriber drops and comes back while the value is computed: it may have missed a write.
    cache.distrustL1();
    cache.trustL1();
    await cache.fill([{ key, value: 9, tags: ['Product:9'], lifetime, checkTags: ['Product:9'] }], token);
    expect(cache.peek(key)).toBeUndefined();
  });
});

describe('bookkeeping that Redis may forget', () => {
  it('a response computed across a Redis restart is refused when a write in between touched it', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const cache = newCache(prefix);
    // Another instance, whose message has not reached this one yet: only Redis can tell.
    const writer = newCache(prefix);
    await until(() => cache.store!.ready && writer.store!.ready);
    // Earlier writes moved the invalidation counter on.
    for (let i = 0; i < 3; i += 1) await writer.invalidate([`Other:${i}`]);
    const key = cache.keys.response('abc');
    const { token } = await cache.lookup('response', [key], [ANY_TAG]);
    // Redis restarts empty (no persistence): every key of ours is gone, the counter too.
    const ours = await redis.keys(`${prefix}:*`);
    if (ours.length > 0) await redis.del(...ours);
    // A write lands while the response is computed, from data it changes.
    await writer.invalidate(['Product:1']);
    await cache.fill([{ key, value: '{"data":1}', tags: ['Product:1'], lifetime, checkTags: [], touchedTags: ['Product:1'] }], token);
    expect(await redis.get(key)).toBeNull();
  });

  it('a lock that expired and was taken by another is not released by its first holder', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const first = newCache(prefix);
    const second = newCache(prefix);
    await until(() => first.store!.ready && second.store!.ready);
    const key = first.keys.field('Query.products', undefined, 'x');
    const slow = await first.claim(key, 30);
    expect(slow).not.toBeNull();
    await until(async () => (await redis.exists(`${key}:lock`)) === 0);
    const taken = await second.claim(key, 10_000);
    expect(taken).not.toBeNull();
    // The slow holder finishes and releases what it thinks is its lock.
    await slow!.release();
    expect(await first.claim(key, 10_000)).toBeNull();
    await taken!.release();
    expect(await redis.exists(`${key}:lock`)).toBe(0);
  });
});

describe('a Redis that stalls', () => {
  it('cannot hold a write: PUBLISH is under the command timeout too', async () => {
    const proxy = await startTcpProxy({ host: new URL(TEST_REDIS_URL).hostname, port: Number(new URL(TEST_REDIS_URL).port || 6379) });
    // A publisher with no timeout of its own: only the channel's can end the wait.
    const publisher = new Redis(proxy.url);
    clients.push(publisher);
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const cache = new TwoTierCache({ keys: new KeySpace(prefix, 0), redis: publisher, redisTimeoutMs: 100 });
    const events: string[] = [];
    const channel = new InvalidationChannel({
      cache,
      publisher,
      subscriber: createSubscriberClient({ url: TEST_REDIS_URL }),
      prefix,
      commandTimeoutMs: 100,
      onEvent: (event) => events.push(event),
    });
    try {
      await channel.start();
      await until(() => publisher.status === 'ready');
      proxy.stall();
      expect(await channel.invalidate(['Product:1'])).toEqual({ receivers: 0, acknowledged: 0, stored: false });
      expect(events).toContain('publish-failed');
    } finally {
      proxy.resume();
      await channel.stop();
      await proxy.close();
    }
  });
});

describe('a Redis that evicts or forgets', () => {
  const fillEntity = async (cache: TwoTierCache, id: number) => {
    const key = cache.keys.entity('Product', id);
    const { token } = await cache.lookup('Product', [key], [`Product:${id}`]);
    await cache.fill([{ key, value: { id }, tags: [`Product:${id}`], lifetime, checkTags: [`Product:${id}`] }], token);
    return key;
  };
  const readFresh = async (prefix: string, id: number) => {
    const reader = newCache(prefix);
    await until(() => reader.store!.ready);
    return (await reader.lookup('Product', [reader.keys.entity('Product', id)], [`Product:${id}`])).entries[0];
  };

  it('an entry whose tag version was evicted is a miss, never served', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const cache = newCache(prefix);
    await until(() => cache.store!.ready);
    await fillEntity(cache, 1);
    expect((await readFresh(prefix, 1))?.value).toEqual({ id: 1 });
    // allkeys-lru takes the version, not the entry (the case that used to leave entries
    // beyond a write's reach): the entry can no longer prove it is current.
    await redis.del(cache.keys.tagVersion('Product:1'));
    expect(await readFresh(prefix, 1)).toBeUndefined();
    // And a write whose version is then evicted does not bring the old entry back.
    await fillEntity(cache, 2);
    const writer = newCache(prefix);
    await until(() => writer.store!.ready);
    await writer.invalidate(['Product:2']);
    await redis.del(cache.keys.tagVersion('Product:2'));
    expect(await readFresh(prefix, 2)).toBeUndefined();
  });

  it('an invalidation costs the same whatever a tag has had: two round trips, no entry touched', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const cache = newCache(prefix);
    await until(() => cache.store!.ready);
    // 300 list pages filed under one tag, as distinct searches would make.
    for (let i = 0; i < 300; i += 1) {
      const key = cache.keys.field('Query.products', undefined, `q${i}`);
      const { token } = await cache.lookup('Query.products', [key], ['Product:list']);
      await cache.fill([{ key, value: [i], tags: ['Product:list'], lifetime, checkTags: ['Product:list'] }], token);
    }
    const keysBefore = (await redis.keys(`${prefix}:*`)).length;
    const writer = newCache(prefix);
    await until(() => writer.store!.ready);
    const before = writer.counters.redisRoundTrips;
    await writer.invalidate(['Product:list']);
    expect(writer.counters.redisRoundTrips - before).toBe(2);
    // Nothing lists the pages, so nothing was deleted or rewritten but the version.
    expect((await redis.keys(`${prefix}:*`)).length).toBe(keysBefore);
    const reader = newCache(prefix);
    await until(() => reader.store!.ready);
    const key = reader.keys.field('Query.products', undefined, 'q7');
    expect((await reader.lookup('Query.products', [key], ['Product:list'])).entries[0]).toBeUndefined();
  });
});

describe('a write whose message goes out but whose versions do not move', () => {
  it('says so, so the write is not taken as done everywhere', async () => {
    const proxy = await startTcpProxy({ host: new URL(TEST_REDIS_URL).hostname, port: Number(new URL(TEST_REDIS_URL).port || 6379) });
    // The cache's own connection goes through the proxy; the channel publishes directly.
    const cacheClient = createCacheClient({ url: proxy.url });
    clients.push(cacheClient);
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const cache = new TwoTierCache({ keys: new KeySpace(prefix, 0), redis: cacheClient, redisTimeoutMs: 100 });
    const channel = new InvalidationChannel({ cache, publisher: redis, subscriber: createSubscriberClient({ url: TEST_REDIS_URL }), prefix });
    try {
      await channel.start();
      await until(() => cacheClient.status === 'ready');
      proxy.stall();
      expect(await channel.invalidate(['Product:1'])).toEqual({ receivers: 1, acknowledged: 1, stored: false });
    } finally {
      proxy.resume();
      await channel.stop();
      await proxy.close();
    }
  });
});
