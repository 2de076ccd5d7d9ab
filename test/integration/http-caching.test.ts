/**
 * What GET answers tell browsers and CDNs: by default a strong ETag and `no-cache`, so an HTTP
 * cache keeps the bytes but asks before each use and never shows an answer older than the last
 * write; `304` from the response tier without executing; `s-maxage` only when an operator opts
 * in, capped by the entry's remaining life; tag headers and a purge hook for CDNs; and never a
 * shared-cache header on an answer that depends on who asked or carries errors.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { benchDocument } from '../helpers/documents';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';
import { until } from '../helpers/until';

let a: TestServer;
let b: TestInstance;
let admin: string;

beforeAll(async () => {
  a = await startTestServer({ label: 'http_caching', redis: true });
  b = await a.startInstance();
  admin = await a.login(1);
});
afterAll(() => a?.stop());

const PRODUCT_PAGE = benchDocument('product-page');

/** A GET of `query` with Apollo's CSRF header, as a browser app or a CDN in front of one sends. */
function get(instance: TestInstance, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const url = new URL(instance.url);
  url.searchParams.set('query', query);
  if (variables) url.searchParams.set('variables', JSON.stringify(variables));
  return fetch(url, { headers: { 'apollo-require-preflight': 'true', ...headers } });
}

const sharedCacheHeaders = (response: Response) =>
  ['surrogate-key', 'cache-tag'].filter((name) => response.headers.has(name)).concat(
    /public|s-maxage/.test(response.headers.get('cache-control') ?? '') ? ['cache-control: public'] : [],
  );

describe('by default HTTP caches revalidate every time', () => {
  it('a public GET answer has a strong ETag and no-cache, and names its tags for CDNs', async () => {
    const response = await get(a, PRODUCT_PAGE, { id: '21' });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{20,}"$/);
    expect(response.headers.get('cache-control')).toBe('public, no-cache');
    const surrogate = response.headers.get('surrogate-key')!.split(' ');
    expect(surrogate).toEqual(expect.arrayContaining(['Product:21']));
    expect(response.headers.get('cache-tag')!.split(',')).toEqual(surrogate);
  });

  it('the same answer from L1 bytes, from Redis on another instance and through Apollo has the same ETag', async () => {
    const first = await get(a, PRODUCT_PAGE, { id: '22' });
    await a.app.cacheLayer.cache!.settled();
    const fromL1 = await get(a, PRODUCT_PAGE, { id: '22' });
    const fromRedis = await get(b, PRODUCT_PAGE, { id: '22' });
    const etag = first.headers.get('etag');
    expect(fromL1.headers.get('etag')).toBe(etag);
    expect(fromRedis.headers.get('etag')).toBe(etag);
    expect(await fromL1.text()).toBe(await fromRedis.text());
  });

  it('If-None-Match is answered 304 from the response tier: no body, no SQL, no execution', async () => {
    const first = await get(a, PRODUCT_PAGE, { id: '23' });
    const etag = first.headers.get('etag')!;
    await a.app.cacheLayer.cache!.settled();
    for (const instance of [a, b]) {
      let response!: Response;
      const sql = await instance.countSql(async () => {
        response = await get(instance, PRODUCT_PAGE, { id: '23' }, { 'if-none-match': etag });
      });
      expect(response.status).toBe(304);
      expect(await response.text()).toBe('');
      expect(response.headers.get('etag')).toBe(etag);
      expect(response.headers.get('cache-control')).toBe('public, no-cache');
      expect(sql).toBe(0);
    }
    // A different validator is not a match.
    const other = await get(a, PRODUCT_PAGE, { id: '23' }, { 'if-none-match': '"something-else"' });
    expect(other.status).toBe(200);
  });

  it('after updateProduct answers, a revalidation gets the new price and a new ETag on every instance', async () => {
    const first = await get(b, PRODUCT_PAGE, { id: '24' });
    const etag = first.headers.get('etag')!;
    const old = ((await first.json()) as any).data.product.priceCents;
    await b.app.cacheLayer.cache!.settled();
    const updated = await a.request(benchDocument('update-price'), { id: '24', priceCents: old + 101 }, { token: admin });
    expect(updated.body.errors).toBeUndefined();
    for (const instance of [a, b]) {
      const response = await get(instance, PRODUCT_PAGE, { id: '24' }, { 'if-none-match': etag });
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).not.toBe(etag);
      expect(((await response.json()) as any).data.product.priceCents).toBe(old + 101);
    }
  });

  it('a signed-in GET of a public query is revalidated through Apollo: 304 without executing', async () => {
    const token = await a.login(7);
    const auth = { authorization: `Bearer ${token}` };
    const first = await get(a, PRODUCT_PAGE, { id: '25' }, auth);
    await a.app.cacheLayer.cache!.settled();
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    let response!: Response;
    const sql = await a.countSql(async () => {
      response = await get(a, PRODUCT_PAGE, { id: '25' }, { ...auth, 'if-none-match': etag });
    });
    expect(response.status).toBe(304);
    expect(sql).toBe(0);
  });
});

describe('never a shared-cache header on an answer that depends on who asked, or has errors', () => {
  it('a request with a bearer token', async () => {
    const token = await a.login(8);
    const response = await get(a, PRODUCT_PAGE, { id: '26' }, { authorization: `Bearer ${token}` });
    expect(response.headers.get('cache-control')).toBe('private, no-cache');
    expect(sharedCacheHeaders(response)).toEqual([]);
  });

  it('a request with the session cookie', async () => {
    const login = await a.request(
      'mutation { login(email: "user9@example.com", password: "storefront") { token } }',
    );
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toMatch(/^sid=/);
    // Cached first by an anonymous request, so the cookie's request is a hit that must still not go public.
    await get(a, PRODUCT_PAGE, { id: '27' });
    await a.app.cacheLayer.cache!.settled();
    const response = await get(a, PRODUCT_PAGE, { id: '27' }, { cookie });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, no-cache');
    expect(sharedCacheHeaders(response)).toEqual([]);
  });

  it('a PRIVATE field, signed in or not', async () => {
    const token = await a.login(10);
    const signedIn = await get(a, benchDocument('me'), undefined, { authorization: `Bearer ${token}` });
    expect(((await signedIn.json()) as any).data.me).not.toBeNull();
    const anonymous = await get(a, '{ me { id } }');
    for (const response of [signedIn, anonymous]) {
      expect(response.headers.get('cache-control')).toBe('private, no-cache');
      expect(sharedCacheHeaders(response)).toEqual([]);
    }
  });

  it('an answer with errors is not stored at all', async () => {
    const response = await get(a, '{ product(id: "999999") { id name } }');
    const body = (await response.json()) as any;
    expect(body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.has('etag')).toBe(false);
    expect(sharedCacheHeaders(response)).toEqual([]);
  });

  it('POST answers carry no HTTP caching headers (HTTP caches do not keep them)', async () => {
    const response = await a.request(PRODUCT_PAGE, { id: '28' });
    expect(response.headers.has('etag')).toBe(false);
    expect(response.headers.has('surrogate-key')).toBe(false);
  });
});

describe('opt-in bounded staleness for CDNs', () => {
  it('s-maxage never exceeds what the answer has left, and browsers still revalidate', async () => {
    const cdn = await a.startInstance({ HTTP_SHARED_MAX_AGE_SECONDS: '100000' });
    const categories = '{ categories { id name } }';
    const first = await get(cdn, categories);
    // `categories` lives 3600 s: a fresh answer may be kept that long, and no longer.
    expect(first.headers.get('cache-control')).toBe('public, max-age=0, s-maxage=3600');
    await cdn.app.cacheLayer.cache!.settled();
    const hit = await get(cdn, categories);
    const sMaxAge = Number(/s-maxage=(\d+)/.exec(hit.headers.get('cache-control')!)![1]);
    expect(sMaxAge).toBeLessThanOrEqual(3600);
    expect(sMaxAge).toBeGreaterThan(3500);

    const capped = await a.startInstance({ HTTP_SHARED_MAX_AGE_SECONDS: '30' });
    expect((await get(capped, categories)).headers.get('cache-control')).toBe('public, max-age=0, s-maxage=30');
  });
});

describe('the purge hook', () => {
  it('receives the tags of each write, as the Surrogate-Key headers name them, and no session tags', async () => {
    const received: string[][] = [];
    const endpoint = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push((JSON.parse(body) as { tags: string[] }).tags);
        res.end();
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      const hookUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/purge`;
      const writer = await a.startInstance({ CACHE_PURGE_WEBHOOK_URL: hookUrl });
      const page = await get(writer, PRODUCT_PAGE, { id: '29' });
      const surrogate = page.headers.get('surrogate-key')!.split(' ');
      const token = await writer.login(1);
      await writer.request(benchDocument('update-price'), { id: '29', priceCents: 4242 }, { token });
      await until(() => received.length > 0);
      expect(received[0]).toContain('Product:29');
      expect(surrogate).toContain('Product:29');

      await writer.request('mutation { logout }', {}, { token });
      const marker = await writer.request(benchDocument('update-price'), { id: '30', priceCents: 4343 }, { token: await writer.login(1) });
      expect(marker.body.errors).toBeUndefined();
      await until(() => received.some((tags) => tags.includes('Product:30')));
      expect(received.flat().some((tag) => tag.startsWith('Session'))).toBe(false);
    } finally {
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });
});
