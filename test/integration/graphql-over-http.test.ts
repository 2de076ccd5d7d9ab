/**
 * GraphQL over HTTP, to the letter: graphql-http's own audit of the spec against the real app,
 * one test per audit, with the cache on Redis and with the cache off (the whole-response tier
 * answers some POSTs before Apollo, so both paths must conform). Every MUST and SHOULD passes;
 * a SHOULD that only warns fails here. Then what the audit leaves out: which status each
 * Accept header gets for each kind of request error, and GET.
 */
import { serverAudits, type AuditResult } from 'graphql-http';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server';

/**
 * MAYs the app declines on purpose. A GET without Content-Type or a preflight header is what a
 * page on another site can make a browser send with the visitor's `sid` cookie, so Apollo's CSRF
 * prevention refuses it (400); GETs that say `Content-Type: application/json` or
 * `Apollo-Require-Preflight` are served (tested below).
 */
const DECLINED_AS_CSRF = new Set(['5A70', 'D6D5', '6A70']);

const PARSE_FAILURE = { query: '{' };
const VALIDATION_FAILURE = { query: '{ noSuchField }' };
const COERCION_FAILURE = { query: 'query ($id: ID!) { product(id: $id) { id } }', variables: { id: { nested: 1 } } };
const UNKNOWN_OPERATION = { query: 'query A { __typename }', operationName: 'B' };

const JSON_TYPE = /^application\/json; charset=utf-8$/;
const GRAPHQL_RESPONSE_TYPE = /^application\/graphql-response\+json; charset=utf-8$/;

describe.each<[string, TestServerOptions]>([
  ['the cache on Redis', { redis: true }],
  ['CACHE_ENABLED=false', { config: { CACHE_ENABLED: 'false' } }],
])('with %s', (_mode, options) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'graphql_over_http', ...options });
  });
  afterAll(() => server?.stop());

  const outcome = (result: AuditResult) => (result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`);

  describe('graphql-http server audit', () => {
    const audits = serverAudits({ url: () => server.url });

    it.each(audits.filter((a) => !DECLINED_AS_CSRF.has(a.id)).map((a) => [`${a.id} ${a.name}`, a] as const))('%s', async (_name, audit) => {
      expect(outcome(await audit.fn())).toBe('ok');
    });

    it.each(audits.filter((a) => DECLINED_AS_CSRF.has(a.id)).map((a) => [`${a.id} ${a.name}`, a] as const))(
      '%s: declined, a simple GET is refused as a possible CSRF',
      async (_name, audit) => {
        const result = await audit.fn();
        expect(result.status).toBe('notice');
        if (result.status === 'ok') return;
        expect(result.response.status).toBe(400);
        const body = (await result.response.json()) as { errors: { message: string; extensions: { code: string } }[] };
        expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
        expect(body.errors[0]!.message).toMatch(/Cross-Site Request Forgery/);
      },
    );
  });

  async function post(body: unknown, accept?: string) {
    const response = await server.raw({
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(accept === undefined ? {} : { accept }) },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    return { status: response.status, type: response.headers.get('content-type'), body: json };
  }

  describe('request errors: 200 as application/json, 400 as application/graphql-response+json', () => {
    it.each([
      ['a parse failure', PARSE_FAILURE, 'GRAPHQL_PARSE_FAILED'],
      ['a validation failure', VALIDATION_FAILURE, 'GRAPHQL_VALIDATION_FAILED'],
      ['a variable that fails coercion', COERCION_FAILURE, 'BAD_USER_INPUT'],
      ['an operationName the document lacks', UNKNOWN_OPERATION, 'OPERATION_RESOLUTION_FAILURE'],
    ])('%s', async (_kind, body, code) => {
      for (const accept of ['application/json', '*/*', undefined]) {
        const response = await post(body, accept);
        expect({ accept, status: response.status }).toEqual({ accept, status: 200 });
        expect(response.type).toMatch(JSON_TYPE);
        expect(response.body.errors![0]!.extensions!.code).toBe(code);
        expect(response.body).not.toHaveProperty('data');
      }
      const strict = await post(body, 'application/graphql-response+json');
      expect(strict.status).toBe(400);
      expect(strict.type).toMatch(GRAPHQL_RESPONSE_TYPE);
      expect(strict.body.errors![0]!.extensions!.code).toBe(code);
      expect(strict.body).not.toHaveProperty('data');
    });

    it.each([
      // Equal quality and specificity: the client's own order decides.
      ['application/graphql-response+json, application/json', 400, GRAPHQL_RESPONSE_TYPE],
      ['application/json, application/graphql-response+json', 200, JSON_TYPE],
      ['application/graphql-response+json;q=0.5, application/json', 200, JSON_TYPE],
      ['application/json;q=0.5, application/graphql-response+json', 400, GRAPHQL_RESPONSE_TYPE],
      // A named type beats a wildcard of the same quality.
      ['*/*, application/graphql-response+json', 400, GRAPHQL_RESPONSE_TYPE],
      ['application/*', 200, JSON_TYPE],
      ['application/json; charset=utf-8', 200, JSON_TYPE],
      ['application/json;q=0, */*', 400, GRAPHQL_RESPONSE_TYPE],
    ])('Accept: %s answers %i', async (accept, status, type) => {
      const response = await post(VALIDATION_FAILURE, accept);
      expect(response.status).toBe(status);
      expect(response.type).toMatch(type);
      expect(response.body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it('an Accept header that takes neither type answers 406', async () => {
      const response = await post(VALIDATION_FAILURE, 'text/html');
      expect(response.status).toBe(406);
      expect(response.body.errors![0]!.extensions!.code).toBe('BAD_REQUEST');
    });
  });

  describe('requests that are not well-formed keep their 4xx whatever the Accept', () => {
    it.each(['application/json', 'application/graphql-response+json'])('no query, Accept: %s, answers 400 BAD_REQUEST', async (accept) => {
      const response = await post({ variables: {} }, accept);
      expect(response.status).toBe(400);
      expect(response.body.errors![0]!.extensions!.code).toBe('BAD_REQUEST');
    });

    it('a body that is not JSON answers 400 BAD_REQUEST', async () => {
      const response = await server.raw({ method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{ "query"' });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
    });
  });

  describe('GET', () => {
    const get = (query: string, headers: Record<string, string>) => {
      const url = new URL(server.url);
      url.searchParams.set('query', query);
      return server.raw({ path: url.pathname + url.search, headers });
    };

    it('serves a query sent with a preflight header or Content-Type: application/json', async () => {
      for (const headers of [{ 'apollo-require-preflight': 'true' }, { 'content-type': 'application/json' }] as Record<string, string>[]) {
        const response = await get('{ __typename }', headers);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ data: { __typename: 'Query' } });
      }
    });

    it.each(['application/json', 'application/graphql-response+json'])('refuses a mutation with 405 and Allow: POST (Accept: %s)', async (accept) => {
      const response = await get('mutation { logout }', { 'apollo-require-preflight': 'true', accept });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    });

    it('answers a validation failure with 200 as application/json, 400 as application/graphql-response+json', async () => {
      const loose = await get('{ noSuchField }', { 'apollo-require-preflight': 'true', accept: 'application/json' });
      expect(loose.status).toBe(200);
      const strict = await get('{ noSuchField }', { 'apollo-require-preflight': 'true', accept: 'application/graphql-response+json' });
      expect(strict.status).toBe(400);
    });

    it('refuses other methods with 405 and Allow: GET, POST', async () => {
      const response = await server.raw({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, POST');
    });
  });
});
