import { buildSchema } from 'graphql';
import { CircuitBreaker } from '../../src/cache/circuit-breaker';
import { entityTag, hashArgs, KeySpace, listTag, relationTag, stableStringify } from '../../src/cache/keys';
import { L1Cache } from '../../src/cache/l1';
import { CachePolicyError, expandTag, readPolicyMap } from '../../src/cache/policy';

describe('keys', () => {
  const keys = new KeySpace('sf', 3, '1a2b3c4d');

  it('have one documented format', () => {
    expect(keys.entity('Product', 42)).toBe('sf:s1a2b3c4d:g3:e:Product:42');
    expect(keys.field('Product.reviews', 42, 'abc')).toBe('sf:s1a2b3c4d:g3:f:Product.reviews:42:abc');
    expect(keys.field('Query.me', undefined, '0', 7)).toBe('sf:s1a2b3c4d:g3:f:Query.me:-:0:u7');
    expect(keys.response('deadbeef', 7)).toBe('sf:s1a2b3c4d:g3:r:deadbeef:u7');
  });

  it('carry the schema shape in entry keys only, so instances of two schemas share tags', () => {
    const other = new KeySpace('sf', 3, 'ffff0000');
    expect(other.entity('Product', 42)).not.toBe(keys.entity('Product', 42));
    for (const space of [keys, other]) {
      expect(space.tagVersion('Product:42')).toBe('sf:tv:Product:42');
      expect(space.generationKey).toBe('sf:gen');
    }
  });

  it('tags spell each id one way', () => {
    expect(entityTag('Product', '042')).toBe('Product:42');
    expect(relationTag('Category', '01', 'products')).toBe(relationTag('Category', 1, 'products'));
    expect(entityTag('Session', 'ab01')).toBe('Session:ab01');
    expect(listTag('Product')).toBe('Product:list');
  });

  it('hash arguments independently of their order', () => {
    expect(stableStringify({ b: 1, a: { d: 2, c: [3] } })).toBe('{"a":{"c":[3],"d":2},"b":1}');
    expect(hashArgs({ first: 3, after: null })).toBe(hashArgs({ after: null, first: 3 }));
    expect(hashArgs({ first: 3 })).not.toBe(hashArgs({ first: 4 }));
    expect(hashArgs({})).toBe('0');
  });
});

describe('L1', () => {
  const entry = (tags: string[], ttlMs = 10_000) => ({ value: 1, tags, freshUntil: Date.now() + ttlMs, staleUntil: Date.now() + ttlMs });

  it('holds entries filled together for different times, none past its maximum', () => {
    const l1 = new L1Cache({ maxTtlMs: 10_000 });
    const holds = Array.from({ length: 200 }, (_, i) => {
      l1.set(`k${i}`, entry([], 3_600_000));
      return l1.expiresIn(`k${i}`);
    });
    expect(Math.max(...holds)).toBeLessThanOrEqual(10_000);
    expect(Math.min(...holds)).toBeGreaterThanOrEqual(7_900);
    expect(Math.max(...holds) - Math.min(...holds)).toBeGreaterThan(1_000);
  });

  it('never holds an entry past its maximum, however long the synchronous stretch that set it', () => {
    const l1 = new L1Cache({ maxTtlMs: 10_000, jitterRatio: 0 });
    l1.set('early', entry([], 3_600_000));
    expect(l1.expiresIn('early')).toBeLessThanOrEqual(10_000);
    const spinUntil = performance.now() + 5;
    while (performance.now() < spinUntil);
    l1.set('late', entry([], 3_600_000));
    expect(l1.expiresIn('late')).toBeLessThanOrEqual(10_000);
  });

  it('drops exactly the entries carrying an invalidated tag', () => {
    const l1 = new L1Cache();
    l1.set('a', entry(['Product:1', 'Product:list']));
    l1.set('b', entry(['Product:2']));
    expect(l1.invalidate(['Product:1'])).toBe(1);
    expect(l1.get('a')).toBeUndefined();
    expect(l1.get('b')).toBeDefined();
  });

  it('stays within its size, forgetting the least recently used', () => {
    const l1 = new L1Cache({ maxEntries: 2 });
    l1.set('a', entry(['x']));
    l1.set('b', entry(['x']));
    l1.get('a');
    l1.set('c', entry(['x']));
    expect(l1.size).toBe(2);
    expect(l1.get('b')).toBeUndefined();
    // The evicted key left the tag index too: invalidating counts only live entries.
    expect(l1.invalidate(['x'])).toBe(2);
  });

  it('never outlives the entry', () => {
    const l1 = new L1Cache();
    l1.set('old', { value: 1, tags: [], freshUntil: Date.now() - 1, staleUntil: Date.now() - 1 });
    expect(l1.get('old')).toBeUndefined();
  });
});

describe('circuit breaker', () => {
  it('opens after repeated failures, probes after the cool-down, closes on success', () => {
    const states: string[] = [];
    const breaker = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 100, onStateChange: (s) => states.push(s) });
    breaker.failure(0);
    breaker.failure(0);
    expect(breaker.allows(0)).toBe(true);
    breaker.failure(0);
    expect(breaker.allows(50)).toBe(false);
    expect(breaker.allows(100)).toBe(true);
    // Half-open: one probe at a time.
    expect(breaker.allows(101)).toBe(false);
    breaker.failure(101);
    expect(breaker.allows(150)).toBe(false);
    expect(breaker.allows(201)).toBe(true);
    breaker.success();
    expect(breaker.allows(202)).toBe(true);
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });

  it('opens on a Redis that fails every other call, never five in a row', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 5, windowSize: 20, failureRate: 0.5 });
    let calls = 0;
    while (breaker.state === 'closed' && calls < 100) {
      calls += 1;
      if (calls % 2 === 0) breaker.failure(0);
      else breaker.success();
    }
    expect(breaker.state).toBe('open');
    // As soon as the window holds 20 calls, 10 of them failed.
    expect(calls).toBe(20);
  });

  it('stays closed under occasional failures', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 5, windowSize: 20, failureRate: 0.5 });
    for (let call = 1; call <= 1000; call += 1) {
      if (call % 5 === 0) breaker.failure(0);
      else breaker.success();
    }
    expect(breaker.state).toBe('closed');
  });
});

describe('policies', () => {
  const sdl = (body: string) => `
    directive @cached(ttl: Int, scope: CacheScope, staleWhileRevalidate: Int, tags: [String!]) on OBJECT | FIELD_DEFINITION
    enum CacheScope { PUBLIC PRIVATE }
    ${body}`;

  it('fields inherit what they leave out from their type', () => {
    const map = readPolicyMap(
      buildSchema(sdl('type Query { a: A } type A @cached(ttl: 30, scope: PRIVATE, staleWhileRevalidate: 5) { x: Int @cached(tags: ["A:{parent.id}:x"]) y: Int }')),
    );
    expect(map.fields.get('A.x')).toEqual({ ttl: 30, scope: 'PRIVATE', staleWhileRevalidate: 5, tags: ['A:{parent.id}:x'] });
    expect(map.policyOf('A', 'y')).toEqual(map.types.get('A'));
    expect(map.policyOf('Query', 'a')).toBeUndefined();
  });

  it('a directive naming no ttl, on itself or its type, takes the configured default (60 s unless set)', () => {
    const schema = buildSchema(sdl('type Query { a: A n: Int @cached } type A @cached(scope: PRIVATE) { x: Int @cached(staleWhileRevalidate: 2) y: Int }'));
    const configured = readPolicyMap(schema, { defaultTtl: 17 });
    expect(configured.fields.get('Query.n')!.ttl).toBe(17);
    expect(configured.types.get('A')!.ttl).toBe(17);
    expect(configured.fields.get('A.x')).toEqual({ ttl: 17, scope: 'PRIVATE', staleWhileRevalidate: 2, tags: [] });
    expect(readPolicyMap(schema).fields.get('Query.n')!.ttl).toBe(60);
    // A ttl the directive names wins over the default.
    expect(readPolicyMap(buildSchema(sdl('type Query { a: Int @cached(ttl: 5) }')), { defaultTtl: 17 }).fields.get('Query.a')!.ttl).toBe(5);
  });

  it.each([
    ['type Query { a: Int @cached(ttl: 0) }', /ttl must be from 1/],
    ['type Query { a: Int @cached(ttl: 5, tags: ["X:{user.id}"]) }', /use \{parent.id\} or \{args/],
  ])('a policy that makes no sense stops the start: %s', (body, message) => {
    expect(() => readPolicyMap(buildSchema(sdl(body)))).toThrow(CachePolicyError);
    expect(() => readPolicyMap(buildSchema(sdl(body)))).toThrow(message);
  });

  it('tag templates fill from the parent and arguments, or do not apply', () => {
    expect(expandTag('Product:{parent.id}:reviews', 42, {})).toBe('Product:42:reviews');
    expect(expandTag('Category:{args.filter.categoryId}:products', undefined, { filter: { categoryId: '7' } })).toBe('Category:7:products');
    expect(expandTag('Category:{args.filter.categoryId}:products', undefined, {})).toBeNull();
    // `?`: present or not, whatever the value.
    expect(expandTag('Product:list:price{args.filter.minPriceCents?}', undefined, { filter: { minPriceCents: 0 } })).toBe('Product:list:price');
    expect(expandTag('Product:list:price{args.filter.minPriceCents?}', undefined, { filter: {} })).toBeNull();
  });
});

describe('L1 memory bound', () => {
  it('counts stored responses by their length and evicts to stay under the bound', () => {
    const l1 = new L1Cache({ maxBytes: 10_000 });
    const response = (n: number) => ({ value: 'x'.repeat(n), tags: [], freshUntil: Date.now() + 10_000, staleUntil: Date.now() + 10_000 });
    l1.set('a', response(2_000));
    l1.set('b', response(2_000));
    l1.set('c', response(2_000));
    expect(l1.size).toBe(2);
    expect(l1.get('a')).toBeUndefined();
  });

  it('counts other entries by the size of their value, not as one flat guess', () => {
    const l1 = new L1Cache({ maxBytes: 20_000 });
    const entry = (value: unknown) => ({ value, tags: [], freshUntil: Date.now() + 10_000, staleUntil: Date.now() + 10_000 });
    // A page of 300 references: about 6 KB as JSON, far more than a flat 1 KB would say.
    const page = entry({ edges: Array.from({ length: 300 }, (_, i) => ({ node: { __ref: i } })) });
    for (let i = 0; i < 5; i += 1) l1.set(`page${i}`, page);
    expect(l1.size).toBeLessThan(5);
    // Small entries fit by the dozen in the same bound.
    const small = new L1Cache({ maxBytes: 20_000 });
    for (let i = 0; i < 50; i += 1) small.set(`flag${i}`, entry(true));
    expect(small.size).toBe(50);
  });
});
