/**
 * Abusive and malformed traffic: each query limit refuses before execution (400,
 * QUERY_TOO_COMPLEX naming the limit and its value, nothing resolved), and a battery of bad
 * requests (a 10 MB body, a deep query, an alias bomb, a fragment cycle, a huge `first`,
 * malformed JSON, a wrong content type, a forged cookie, a garbage token, a batch of 1,000
 * operations) each gets its status and a clear error, while a well-behaved client running
 * meanwhile sees no error at all. Also: CSRF prevention, and introspection and Sandbox off in
 * production unless configured. (Production's masking of internal errors, SQL included, is
 * tested in bad-input.test.ts.)
 */
import * as graphql from 'graphql';
import { benchDocument } from '../helpers/documents';

// Counting wrappers around the real parser and validator (Apollo's too), to tell whether a
// request was parsed and validated at all.
jest.mock('graphql', () => {
  const actual = jest.requireActual('graphql');
  return { ...actual, parse: jest.fn(actual.parse), validate: jest.fn(actual.validate) };
});
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let customerToken: string;

beforeAll(async () => {
  server = await startTestServer({ label: 'abuse' });
  customerToken = await server.login(2);
});
afterAll(() => server?.stop());

/** A query over `levels` fields deep: product { category { products { edges { node { category ... */
function deepQuery(levels: number): string {
  let body = 'id';
  for (let i = 0; i < levels; i += 1) body = i % 2 === 1 ? `category { ${body} }` : `products(first: 1) { edges { node { ${body} } } }`;
  return `{ product(id: "1") { ${body} } }`;
}

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await server.raw({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, body: json, text, headers: response.headers };
}

function expectRefusal(response: { status: number; body: any }, status: number, code: string, message: RegExp) {
  expect(response.status).toBe(status);
  expect(response.body?.data).toBeUndefined();
  expect(response.body?.errors).toHaveLength(1);
  expect(response.body.errors[0].extensions.code).toBe(code);
  expect(response.body.errors[0].message).toMatch(message);
  return response.body.errors[0];
}

describe('query limits refuse before execution, naming the limit and its value', () => {
  const SQL_NONE = async (run: () => Promise<unknown>) => expect(await server.countSql(run)).toBe(0);

  it('depth: a 40-level query', async () => {
    await SQL_NONE(async () => {
      const response = await post(JSON.stringify({ query: deepQuery(40) }));
      const error = expectRefusal(response, 400, 'QUERY_TOO_COMPLEX', /depth is \d+, over this API's limit of 12/);
      expect(error.extensions).toMatchObject({ limit: 'depth', max: 12 });
      expect(error.extensions.found).toBeGreaterThan(12);
    });
  });

  it('aliases: a 500-alias query', async () => {
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: __typename`).join(' ');
    await SQL_NONE(async () => {
      const response = await post(JSON.stringify({ query: `{ ${aliases} }` }));
      const error = expectRefusal(response, 400, 'QUERY_TOO_COMPLEX', /aliases is 500, over this API's limit of 30/);
      expect(error.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'aliases', max: 30, found: 500, stacktrace: expect.any(Array) });
    });
  });

  it('directives', async () => {
    const fields = Array.from({ length: 40 }, () => '__typename @include(if: true)').join(' ');
    const response = await post(JSON.stringify({ query: `{ product(id: "1") { ${fields} } }` }));
    const error = expectRefusal(response, 400, 'QUERY_TOO_COMPLEX', /directives is 40, over this API's limit of 30/);
    expect(error.extensions).toMatchObject({ limit: 'directives', max: 30, found: 40 });
  });

  it('tokens: refused while parsing', async () => {
    const fields = Array.from({ length: 3000 }, () => 'id').join(' ');
    const response = await post(JSON.stringify({ query: `{ product(id: "1") { ${fields} } }` }));
    const error = expectRefusal(response, 400, 'QUERY_TOO_COMPLEX', /tokens is over this API's limit of 3000/);
    expect(error.extensions).toMatchObject({ limit: 'tokens', max: 3000 });
  });

  it('cost: nested pages multiply (100 x 100 x 100), with first from variables too', async () => {
    const query =
      'query ($n: Int) { products(first: $n) { edges { node { reviews(first: $n) { edges { node { product { reviews(first: $n) { edges { node { id } } } } } } } } } } }';
    await SQL_NONE(async () => {
      const response = await post(JSON.stringify({ query, variables: { n: 100 } }));
      const error = expectRefusal(response, 400, 'QUERY_TOO_COMPLEX', /cost is \d+, over this API's limit of 20000.*smaller pages/);
      expect(error.extensions).toMatchObject({ limit: 'cost', max: 20000 });
      expect(error.extensions.found).toBeGreaterThan(1_000_000);
    });
    // The same document with small pages runs.
    const small = await server.request(query, { n: 2 });
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
  });

  it('the workload documents run under the default limits', async () => {
    for (const [name, variables, token] of [
      ['catalog', {}, undefined],
      ['product-page', { id: '1' }, undefined],
      ['me', {}, customerToken],
    ] as const) {
      const response = await server.request(benchDocument(name), variables, { token });
      expect([name, response.status, response.body.errors]).toEqual([name, 200, undefined]);
    }
  });

  it('the same bomb sent again is refused from memory, without parsing or validating it again', async () => {
    const bomb = JSON.stringify({ query: `{ ${Array.from({ length: 400 }, (_, i) => `again${i}: __typename`).join(' ')} }` });
    const validate = graphql.validate as jest.Mock;
    const parse = graphql.parse as jest.Mock;
    {
      const first = await post(bomb);
      expectRefusal(first, 400, 'QUERY_TOO_COMPLEX', /aliases is 400/);
      expect(validate).toHaveBeenCalled();
      validate.mockClear();
      parse.mockClear();
      expect(validate).not.toHaveBeenCalled();
      const again = await post(bomb);
      expect(again.status).toBe(400);
      expect(again.body.errors).toEqual(first.body.errors);
      expect(again.headers.get('content-type')).toMatch(/^application\/json/);
      expect(validate).not.toHaveBeenCalled();
      expect(parse).not.toHaveBeenCalled();
      // A cost refusal depends on the variables: never remembered.
      const costly = 'query ($n: Int) { products(first: $n) { edges { node { reviews(first: $n) { edges { node { id } } } } } } }';
      expectRefusal(await post(JSON.stringify({ query: costly, variables: { n: 100 } })), 400, 'QUERY_TOO_COMPLEX', /cost/);
      const small = await server.request(costly, { n: 2 });
      expect([small.status, small.body.errors]).toEqual([200, undefined]);
      // Asked for graphql-response+json, answered so, as Apollo would.
      const strict = await post(bomb, { accept: 'application/graphql-response+json' });
      expect(strict.status).toBe(400);
      expect(strict.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    }
  });

  it('refusals are counted in /metrics by limit', async () => {
    const metrics = await (await server.raw({ path: '/metrics' })).text();
    for (const limit of ['depth', 'aliases', 'directives', 'cost']) {
      expect(metrics).toMatch(new RegExp(`storefront_query_refused_total\\{limit="${limit}"\\} [1-9]`));
    }
  });
});

describe('a battery of bad requests, with a well-behaved client running meanwhile', () => {
  it('each gets its status and a clear error; the other client sees none', async () => {
    let stop = false;
    const outcomes: string[] = [];
    const wellBehaved = (async () => {
      while (!stop) {
        const response = await server.request(benchDocument('product-page'), { id: '2' });
        outcomes.push(response.status === 200 && !response.body.errors ? 'ok' : `${response.status} ${JSON.stringify(response.body.errors)}`);
      }
    })();

    const cases: [string, () => Promise<void>][] = [
      ['a 10 MB body: 413', async () => {
        const response = await post(JSON.stringify({ query: '{ categories { id } }', padding: 'x'.repeat(10 * 1024 * 1024) }));
        expectRefusal(response, 413, 'BAD_REQUEST', /too large/);
      }],
      ['a deep query: 400 QUERY_TOO_COMPLEX', async () => {
        expectRefusal(await post(JSON.stringify({ query: deepQuery(40) })), 400, 'QUERY_TOO_COMPLEX', /depth/);
      }],
      ['an alias bomb: 400 QUERY_TOO_COMPLEX', async () => {
        const bomb = Array.from({ length: 2000 }, (_, i) => `a${i}: __typename`).join(' ');
        expectRefusal(await post(JSON.stringify({ query: `{ ${bomb} }` })), 400, 'QUERY_TOO_COMPLEX', /aliases|tokens/);
      }],
      ['a fragment cycle: GRAPHQL_VALIDATION_FAILED naming the cycle (400 as graphql-response+json)', async () => {
        const query = '{ product(id: "1") { ...A } } fragment A on Product { category { products { edges { node { ...B } } } } } fragment B on Product { ...A }';
        const response = await post(JSON.stringify({ query }), { accept: 'application/graphql-response+json' });
        expectRefusal(response, 400, 'GRAPHQL_VALIDATION_FAILED', /Cannot spread fragment "A" within itself/);
      }],
      ['a huge first: BAD_USER_INPUT stating the bounds', async () => {
        const response = await post(JSON.stringify({ query: '{ products(first: 1000000) { edges { cursor } } }' }));
        // The cost limit sees it first: a million-row page is refused before any resolver runs.
        expectRefusal(response, 400, 'QUERY_TOO_COMPLEX', /cost/);
        const modest = await post(JSON.stringify({ query: '{ products(first: 101) { edges { cursor } } }' }));
        expect(modest.status).toBe(200);
        expect(modest.body.errors[0]).toMatchObject({ message: expect.stringMatching(/"first" must be from 0 to 100/), extensions: { code: 'BAD_USER_INPUT' } });
      }],
      ['malformed JSON: 400', async () => {
        expectRefusal(await post('{"query": "{ categories { id } }"'), 400, 'BAD_REQUEST', /not valid JSON/);
      }],
      ['a wrong content type: 415', async () => {
        const response = await server.raw({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ categories { id } }' }) });
        expectRefusal({ status: response.status, body: await response.json() }, 415, 'BAD_REQUEST', /application\/json/);
      }],
      ['a forged cookie: anonymous, so a write needs signing in', async () => {
        const cookie = { cookie: `sid=${'A'.repeat(43)}` };
        const me = await post(JSON.stringify({ query: '{ me { id } }' }), cookie);
        expect(me.status).toBe(200);
        expect(me.body.data).toEqual({ me: null });
        expect(me.body.errors).toBeUndefined();
        const write = await post(JSON.stringify({ query: 'mutation { addReview(input: { productId: "1", rating: 5, body: "x" }) { id } }' }), cookie);
        expect(write.body.errors[0]).toMatchObject({ message: expect.stringMatching(/Sign in/), extensions: { code: 'UNAUTHENTICATED' } });
      }],
      ['a garbage token: anonymous, so a write needs signing in', async () => {
        const garbage = { authorization: 'Bearer <script>alert(1)</script>' };
        const me = await post(JSON.stringify({ query: '{ me { id } }' }), garbage);
        expect(me.body.data).toEqual({ me: null });
        expect(me.body.errors).toBeUndefined();
        const write = await post(JSON.stringify({ query: 'mutation { addReview(input: { productId: "1", rating: 5, body: "x" }) { id } }' }), garbage);
        expect(write.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      }],
      ['a batch of 1,000 operations: 400, batching is off', async () => {
        const batch = JSON.stringify(Array.from({ length: 1000 }, () => ({ query: '{ categories { id } }' })));
        expectRefusal(await post(batch), 400, 'BAD_REQUEST', /batching/i);
      }],
    ];
    const failures: string[] = [];
    for (const [name, run] of cases) {
      await run().catch((error: Error) => failures.push(`${name}: ${error.message}`));
    }
    stop = true;
    await wellBehaved;
    expect(failures).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.filter((outcome) => outcome !== 'ok')).toEqual([]);
  });
});

describe('CSRF prevention', () => {
  it('a simple GET (no preflight header) is refused; with the header it runs', async () => {
    const url = `?query=${encodeURIComponent('{ categories { id } }')}`;
    const simple = await server.raw({ path: `/graphql${url}` });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/cross-site request forgery/i);
    const preflighted = await server.raw({ path: `/graphql${url}`, headers: { 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
  });

  it('a form POST (a simple request) is refused before GraphQL', async () => {
    const response = await server.raw({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${encodeURIComponent('mutation { logout }')}`,
    });
    expect(response.status).toBe(415);
  });
});

describe('in production', () => {
  let production: TestServer;
  beforeAll(async () => {
    production = await startTestServer({ label: 'abuse_prod', config: { NODE_ENV: 'production', LOG_LEVEL: 'silent', AUDIT_LOG: 'off' } });
  });
  afterAll(() => production?.stop());

  it('introspection is refused and no Sandbox is served', async () => {
    const response = await production.request('{ __schema { queryType { name } } }');
    expect(response.body.errors?.[0]?.message).toMatch(/introspection/i);
    const page = await production.raw({ headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/sandbox|<html/i);
    // Outside production both are there.
    expect((await server.request('{ __schema { queryType { name } } }')).body.data.__schema.queryType.name).toBe('Query');
    expect(await (await server.raw({ headers: { accept: 'text/html' } })).text()).toMatch(/sandbox/i);
  });

  it('field suggestions are masked (they would reveal the schema introspection hides)', async () => {
    const response = await production.request('{ product(id: "1") { nam } }');
    expect(response.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
    expect((await server.request('{ product(id: "1") { nam } }')).body.errors?.[0]?.message).toMatch(/Did you mean "name"/);
  });

  it('GRAPHQL_INTROSPECTION and GRAPHQL_SANDBOX turn them back on', async () => {
    const open = await production.startInstance({ GRAPHQL_INTROSPECTION: 'true', GRAPHQL_SANDBOX: 'true' });
    expect((await open.request('{ __schema { queryType { name } } }')).body.data.__schema.queryType.name).toBe('Query');
    expect(await (await open.raw({ headers: { accept: 'text/html' } })).text()).toMatch(/sandbox/i);
  });
});
