/**
 * CORS on the GraphQL endpoint: browsers from an allowed origin get the headers (with
 * credentials, for the session cookie), other origins do not, and requests without an Origin
 * (servers, apps) skip the work but still vary by Origin for shared caches.
 */
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'cors', config: { CORS_ORIGINS: 'https://shop.example' } });
});
afterAll(async () => {
  await server?.stop();
});

const QUERY = JSON.stringify({ query: '{ categories { id } }' });

function post(headers: Record<string, string> = {}) {
  return server.raw({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: QUERY });
}

describe('CORS', () => {
  it('an allowed origin gets its CORS headers, with credentials', async () => {
    const response = await post({ origin: 'https://shop.example' });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('vary')).toMatch(/Origin/);
    // Page scripts may read the request id, to quote it in error reports.
    expect(response.headers.get('access-control-expose-headers')).toBe('X-Request-Id');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('a preflight from an allowed origin is answered', async () => {
    const response = await server.raw({
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  it('another origin gets no Access-Control-Allow-Origin', async () => {
    const response = await post({ origin: 'https://evil.example' });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/Origin/);
  });

  it('a request without Origin gets no CORS headers but still varies by Origin', async () => {
    const response = await post();
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/Origin/);
  });
});
