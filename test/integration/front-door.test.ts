/**
 * The front door answers anonymous L1 hits before Express, and hands everything else on
 * untouched (or with its body parsed), so Express answers it exactly as before.
 */
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { frontDoor } from '../../src/server/front-door';
import { benchDocument } from '../helpers/documents';
import { startTestServer, type TestServer } from '../helpers/server';

describe('the front door on its own', () => {
  let server: http.Server;
  let url: string;
  const handedOn: { method?: string; body?: unknown; rest: string }[] = [];

  beforeAll(async () => {
    server = http.createServer(
      frontDoor({
        path: '/graphql',
        maxBodyBytes: 1000,
        storedInL1: (_req, body) => ((body as { query?: string }).query === 'cached' ? '{"data":{"cached":true}}' : undefined),
        storedInRedis: async () => undefined,
        next: (req, res) => {
          const done = (rest: string) => {
            handedOn.push({ method: req.method, body: (req as IncomingMessage & { body?: unknown }).body, rest });
            res.end('express');
          };
          // Read already (as Express's body parser sees it): nothing more will come.
          if (req.readableEnded) return done('');
          let rest = '';
          req.on('data', (chunk: Buffer) => (rest += chunk.toString()));
          req.on('end', () => done(rest));
        },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('answers a hit itself, with a request id and Vary: Origin', async () => {
    const response = await post(JSON.stringify({ query: 'cached' }), { 'x-request-id': 'abc-123' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"data":{"cached":true}}');
    expect(response.headers.get('x-request-id')).toBe('abc-123');
    expect(response.headers.get('vary')).toBe('Origin');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('hands a miss on with its body parsed and nothing left to read', async () => {
    handedOn.length = 0;
    expect(await (await post(JSON.stringify({ query: 'other' }))).text()).toBe('express');
    expect(handedOn).toEqual([{ method: 'POST', body: { query: 'other' }, rest: '' }]);
  });

  it('hands on, unread, what it does not take: GETs, browsers, large bodies, other paths', async () => {
    handedOn.length = 0;
    await fetch(`${url}?query=cached`);
    await post(JSON.stringify({ query: 'cached' }), { origin: 'https://shop.example.com' });
    const large = JSON.stringify({ query: 'cached', padding: 'x'.repeat(2000) });
    await post(large);
    await fetch(url.replace('/graphql', '/other'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    // Bodies Express would decode or inflate before parsing.
    await post(JSON.stringify({ query: 'cached' }), { 'content-type': 'application/json; charset=latin1' });
    await post(JSON.stringify({ query: 'cached' }), { 'content-encoding': 'gzip' });
    const cached = JSON.stringify({ query: 'cached' }).length;
    expect(handedOn.map((h) => [h.method, h.body, h.rest.length])).toEqual([
      ['GET', undefined, 0],
      ['POST', undefined, cached],
      ['POST', undefined, large.length],
      ['POST', undefined, 2],
      ['POST', undefined, cached],
      ['POST', undefined, cached],
    ]);
    // UTF-8 spelt out is still plain JSON.
    const spelt = await post(JSON.stringify({ query: 'cached' }), { 'content-type': 'application/json; charset=UTF-8' });
    expect(await spelt.text()).toBe('{"data":{"cached":true}}');
  });

  it('answers a body that is not JSON as Express would', async () => {
    const response = await post('{ not json');
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });
});

describe('the front door in the app', () => {
  let app: TestServer;
  beforeAll(async () => {
    app = await startTestServer({ label: 'front_door', redis: true });
  });
  afterAll(() => app?.stop());

  it('serves a warm anonymous page from L1 with the same bytes and headers as Express does', async () => {
    const first = await app.request(benchDocument('product-page'), { id: '12' });
    await app.app.cacheLayer.cache!.settled();
    const hitsBefore = app.app.cacheLayer.cache!.counters.hits;
    const second = await app.request(benchDocument('product-page'), { id: '12' });
    expect(second.body).toEqual({ data: first.body.data });
    expect(second.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.headers.get('vary')).toBe('Origin');
    expect(app.app.cacheLayer.cache!.counters.hits - hitsBefore).toBe(1);
  });

  it('looks a cold page up once, though the front door and Express both could', async () => {
    const responseLookups = async () => {
      const text = await (await fetch(new URL('/metrics', app.url))).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith('storefront_cache_lookups_total{') && line.includes('source="response"'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    };
    const before = await responseLookups();
    const cold = await app.request(benchDocument('product-page'), { id: '13' });
    expect(cold.body.data.product.id).toBe('13');
    expect((await responseLookups()) - before).toBe(1);
  });

  it('answers from Redis on an instance whose L1 does not hold the page', async () => {
    await app.request(benchDocument('product-page'), { id: '14' });
    await app.app.cacheLayer.cache!.settled();
    const other = await app.startInstance();
    const sql = await other.countSql(() => other.request(benchDocument('product-page'), { id: '14' }));
    expect(sql).toBe(0);
  });
});
