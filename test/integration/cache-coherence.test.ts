/**
 * The read-through rules that keep a request that came after a write from seeing what was
 * there before it: a load or computation under way is joined only if nothing it depends on
 * was invalidated since it began. Driven step by step (resolvers and loads that finish when the
 * test says), so each interleaving is exact; on a real Redis where the rule involves it.
 */
import { randomBytes } from 'node:crypto';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse, type ExecutionResult } from 'graphql';
import { createFieldCacheRequest, applyFieldCache } from '../../src/cache/field-cache';
import { KeySpace } from '../../src/cache/keys';
import { readPolicyMap } from '../../src/cache/policy';
import { TwoTierCache } from '../../src/cache/two-tier-cache';
import { InFlight } from '../../src/cache/in-flight';
import { createCachedByKeyLoader } from '../../src/loaders/cached-by-key';
import { createCacheClient } from '../../src/redis/clients';
import { TEST_REDIS_URL } from '../helpers/env';
import { until } from '../helpers/until';

const lifetime = { ttl: 60, staleWhileRevalidate: 0 };
const clients: ReturnType<typeof createCacheClient>[] = [];
afterAll(() => Promise.all(clients.map((client) => client.quit().catch(() => undefined))));

async function newCache(): Promise<TwoTierCache> {
  const client = createCacheClient({ url: TEST_REDIS_URL });
  clients.push(client);
  const cache = new TwoTierCache({ keys: new KeySpace(`t${randomBytes(4).toString('hex')}`, 0), redis: client });
  await until(() => client.status === 'ready');
  return cache;
}

/** A value the test hands out later: `calls` grows as work starts, `finish(i, v)` ends call i. */
function controlled<T>() {
  const calls: { resolve: (value: T) => void }[] = [];
  return {
    calls,
    start: () => new Promise<T>((resolve) => calls.push({ resolve })),
    finish: (i: number, value: T) => calls[i]!.resolve(value),
  };
}

describe('a field computation under way', () => {
  const typeDefs = `
    directive @cached(ttl: Int, scope: CacheScope, staleWhileRevalidate: Int, tags: [String!]) on OBJECT | FIELD_DEFINITION
    enum CacheScope { PUBLIC PRIVATE }
    type Query { names(search: String): [String!]! @cached(ttl: 60, tags: ["Item:list"]) }
  `;

  /** A schema whose one cached field resolves when the test says; `run` executes `query`. */
  async function cachedField(query: string) {
    const cache = await newCache();
    const work = controlled<string[]>();
    const base = makeExecutableSchema({ typeDefs, resolvers: { Query: { names: () => work.start() } } });
    const schema = applyFieldCache(base, {
      policies: readPolicyMap(base),
      cache,
      requestOf: (context) => (context as { fieldCache: ReturnType<typeof createFieldCacheRequest> }).fieldCache,
      isEntity: () => false,
    });
    const document = parse(query);
    const run = () =>
      execute({
        schema,
        document,
        contextValue: { fieldCache: createFieldCacheRequest(cache, undefined, () => Promise.resolve(null)) },
      }) as Promise<ExecutionResult>;
    return { cache, work, run };
  }

  it('is not joined by a request that comes after an invalidation of its tags', async () => {
    const { cache, work, run } = await cachedField('{ names(search: "lamp") }');

    const before = run();
    await until(() => work.calls.length === 1);
    // A write that changes the list commits and is acknowledged here...
    await cache.invalidate(['Item:list']);
    // ...and a request sent after it must not be handed the computation that began before.
    const after = run();
    await until(() => work.calls.length === 2);
    work.finish(1, ['lamp', 'new lamp']);
    work.finish(0, ['lamp']);
    expect((await after).data).toEqual({ names: ['lamp', 'new lamp'] });
    expect((await before).data).toEqual({ names: ['lamp'] });
    await cache.settled();
    // What stays cached is the newer answer: the older one was refused.
    expect((await run()).data).toEqual({ names: ['lamp', 'new lamp'] });
    expect(work.calls).toHaveLength(2);
  });

  it('is still shared by concurrent requests when nothing changed', async () => {
    const { cache, work, run } = await cachedField('{ names(search: "desk") }');
    const first = run();
    await until(() => work.calls.length === 1);
    await cache.invalidate(['Other:list']);
    const second = run();
    work.finish(0, ['desk']);
    expect((await second).data).toEqual({ names: ['desk'] });
    expect((await first).data).toEqual({ names: ['desk'] });
    expect(work.calls).toHaveLength(1);
  });
});

describe('an entity load under way', () => {
  const codec = { encode: (row: { id: number; price: number }) => ({ ...row }), decode: (value: unknown) => value as { id: number; price: number } };

  function loaderFor(cache: TwoTierCache, inflight: InFlight<number, { id: number; price: number } | null>, fetch: () => Promise<{ id: number; price: number }[]>) {
    return createCachedByKeyLoader({ typeName: 'Item', cache, lifetime, codec, fetch, keyOf: (row) => row.id, inflight });
  }

  it('is not joined by a request that comes after an invalidation of the entity', async () => {
    const cache = await newCache();
    const inflight = new InFlight<number, { id: number; price: number } | null>(cache);
    const work = controlled<{ id: number; price: number }[]>();
    const before = loaderFor(cache, inflight, work.start).load(1);
    await until(() => work.calls.length === 1);
    await cache.invalidate(['Item:1']);
    const after = loaderFor(cache, inflight, work.start).load(1);
    await until(() => work.calls.length === 2);
    work.finish(1, [{ id: 1, price: 200 }]);
    work.finish(0, [{ id: 1, price: 100 }]);
    expect(await after).toEqual({ id: 1, price: 200 });
    expect(await before).toEqual({ id: 1, price: 100 });
    await cache.settled();
    expect(cache.peek(cache.keys.entity('Item', 1))?.value).toEqual({ id: 1, price: 200 });
  });

  it('is still shared when nothing changed', async () => {
    const cache = await newCache();
    const inflight = new InFlight<number, { id: number; price: number } | null>(cache);
    const work = controlled<{ id: number; price: number }[]>();
    const first = loaderFor(cache, inflight, work.start).load(2);
    await until(() => work.calls.length === 1);
    await cache.invalidate(['Item:3']);
    const second = loaderFor(cache, inflight, work.start).load(2);
    work.finish(0, [{ id: 2, price: 5 }]);
    expect(await second).toEqual({ id: 2, price: 5 });
    expect(await first).toEqual({ id: 2, price: 5 });
    expect(work.calls).toHaveLength(1);
  });
});
