/**
 * Bad input never breaks anything: every refused request answers the GraphQL-over-HTTP error
 * shape (`{ errors: [{ message, extensions: { code } }] }`) with the right HTTP status and a
 * message that says what to fix, and leaves every table exactly as it was.
 */
import { benchDocument } from '../helpers/documents';
import { expectDatabaseUnchanged } from '../helpers/db-snapshot';
import { startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';

let server: TestServer;
let adminToken: string;
let customerToken: string;

beforeAll(async () => {
  server = await startTestServer({ label: 'bad_input' });
  // Signed in up front: a login writes a session row, which the snapshots would see.
  adminToken = await server.login(1);
  customerToken = await server.login(2);
});
afterAll(() => server?.stop());

type ErrorBody = GraphQLResponse['body'];

/** Checks the one error of a response: status, code, and a message that names `mention`. */
function expectOneError(status: number, actualStatus: number, body: ErrorBody, code: string, mention: RegExp) {
  expect(actualStatus).toBe(status);
  expect(body.errors).toHaveLength(1);
  const error = body.errors![0]!;
  expect(typeof error.message).toBe('string');
  expect(error.extensions?.code).toBe(code);
  expect(error.message).toMatch(mention);
  return error;
}

function expectError(response: GraphQLResponse, status: number, code: string, mention: RegExp) {
  return expectOneError(status, response.status, response.body, code, mention);
}

/** Sends raw HTTP and reads the JSON error body. */
async function rawError(init: RequestInit) {
  const response = await server.raw(init);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: response.status, body: (await response.json()) as ErrorBody };
}

const PRODUCT = 'query ($id: ID!) { product(id: $id) { id priceCents stock reviewCount } }';
const UPDATE_PRODUCT = 'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }';
const ADD_REVIEW = benchDocument('add-review');
const PLACE_ORDER = 'mutation ($items: [OrderLineInput!]!) { placeOrder(input: { items: $items }) { id totalCents } }';

async function productState(id: number) {
  const response = await server.request(PRODUCT, { id: String(id) });
  expect(response.body.errors).toBeUndefined();
  return response.body.data.product as { id: string; priceCents: number; stock: number; reviewCount: number };
}

/**
 * Seeded products with at least `stock` units, so an order for them is otherwise valid. Each
 * test searches from its own `from` index, so no two tests share (and change) a product.
 */
function stocked(stock: number, count: number, from: number) {
  const found = server.dataset.products.slice(from, from + 10).filter((p) => p.stock >= stock).slice(0, count);
  expect(found).toHaveLength(count);
  return found;
}

describe('the snapshot these tests rely on', () => {
  it('notices a one-row change', async () => {
    // Guards against a vacuous helper: a real write must make expectDatabaseUnchanged fail.
    const id = String(server.dataset.products[7]!.id);
    await expect(
      expectDatabaseUnchanged(server.database, () =>
        server.request('mutation ($id: ID!) { adjustStock(id: $id, delta: 1) { stock } }', { id }, { token: adminToken }),
      ),
    ).rejects.toThrow(/product/);
  });
});

describe('requests that never reach GraphQL', () => {
  it('a malformed JSON body answers 400 BAD_REQUEST and says how to send it', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const { status, body } = await rawError({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query": "mutation { logout }"',
      });
      expectOneError(400, status, body, 'BAD_REQUEST', /not valid JSON/);
      expect(body.errors![0]!.message).toContain('"query"');
      expect(body.data).toBeUndefined();
    });
  });

  it('a text/plain body answers 415 BAD_REQUEST naming the content type to use', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      // A valid mutation in the body: refused by its content type alone (also a CSRF guard).
      const { status, body } = await rawError({
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: `mutation { updateProduct(id: "1", input: { priceCents: 1 }) { id } }` }),
      });
      expectOneError(415, status, body, 'BAD_REQUEST', /Content-Type: application\/json/);
    });
  });
});

describe('requests GraphQL refuses before executing', () => {
  // The GraphQL-over-HTTP spec: 200 when the answer is application/json (what fetch's default
  // `Accept: */*` gets), 400 when the client accepts application/graphql-response+json.
  const STRICT = { headers: { accept: 'application/graphql-response+json' } };

  it('an unknown field answers GRAPHQL_VALIDATION_FAILED naming the field (200, or 400 as graphql-response+json)', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const query = '{ products { edges { node { id colour } } } }';
      const response = await server.request(query);
      const error = expectError(response, 200, 'GRAPHQL_VALIDATION_FAILED', /"colour"/);
      expect(error.message).toContain('"Product"');
      expect(response.body.data).toBeUndefined();
      const strict = await server.request(query, undefined, STRICT);
      expectError(strict, 400, 'GRAPHQL_VALIDATION_FAILED', /"colour"/);
      expect(strict.body.data).toBeUndefined();
    });
  });

  it('an ID variable of the wrong type answers BAD_USER_INPUT naming the variable (200, or 400 as graphql-response+json)', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(PRODUCT, { id: { nested: 1 } });
      expectError(response, 200, 'BAD_USER_INPUT', /\$id/);
      expect(response.body.data).toBeUndefined();
      const strict = await server.request(PRODUCT, { id: { nested: 1 } }, STRICT);
      expectError(strict, 400, 'BAD_USER_INPUT', /\$id/);
    });
  });

  it('$priceCents sent as a string answers BAD_USER_INPUT and nothing is written (200, or 400 as graphql-response+json)', async () => {
    const product = server.dataset.products[0]!;
    await expectDatabaseUnchanged(server.database, async () => {
      const variables = { id: String(product.id), priceCents: '999' };
      const response = await server.request(benchDocument('update-price'), variables, { token: adminToken });
      const error = expectError(response, 200, 'BAD_USER_INPUT', /\$priceCents/);
      expect(error.message).toMatch(/Int/);
      expect(response.body.data).toBeUndefined();
      const strict = await server.request(benchDocument('update-price'), variables, { token: adminToken, ...STRICT });
      expectError(strict, 400, 'BAD_USER_INPUT', /\$priceCents/);
    });
  });
});

describe('ids', () => {
  it('product(id) of a missing product answers null with NOT_FOUND at 200', async () => {
    const response = await server.request(PRODUCT, { id: '999999' });
    expectError(response, 200, 'NOT_FOUND', /"999999"/);
    expect(response.body.data).toEqual({ product: null });
    expect(response.body.errors![0]!.path).toEqual(['product']);
  });

  it('updateProduct of a missing product as admin answers NOT_FOUND and writes nothing', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(UPDATE_PRODUCT, { id: '999999', input: { priceCents: 100 } }, { token: adminToken });
      expectError(response, 200, 'NOT_FOUND', /No Product has the id "999999"/);
      expect(response.body.data).toBeNull();
    });
  });

  it('a non-numeric id answers BAD_USER_INPUT saying what an id looks like', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const query = await server.request(PRODUCT, { id: 'abc' });
      const error = expectError(query, 200, 'BAD_USER_INPUT', /"id".*positive whole number/);
      expect(error.extensions!.field).toBe('id');
      expect(query.body.data).toEqual({ product: null });

      const mutation = await server.request(UPDATE_PRODUCT, { id: 'abc', input: { priceCents: 100 } }, { token: adminToken });
      expectError(mutation, 200, 'BAD_USER_INPUT', /"id".*positive whole number/);
    });
  });
});

describe('values the API refuses', () => {
  it('a negative price via update-price.graphql answers BAD_USER_INPUT and keeps the price', async () => {
    const product = server.dataset.products[3]!;
    const before = await productState(product.id);
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(benchDocument('update-price'), { id: String(product.id), priceCents: -1 }, { token: adminToken });
      const error = expectError(response, 200, 'BAD_USER_INPUT', /"input.priceCents" must be a whole number 0 or more/);
      expect(error.extensions!.field).toBe('input.priceCents');
      expect(response.body.data).toBeNull();
    });
    expect((await productState(product.id)).priceCents).toBe(before.priceCents);
  });

  it('a rating of 6 via add-review.graphql answers BAD_USER_INPUT and adds no review', async () => {
    const product = server.dataset.products[4]!;
    const before = await productState(product.id);
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(ADD_REVIEW, { productId: String(product.id), rating: 6, body: 'Off the scale!' }, { token: customerToken });
      const error = expectError(response, 200, 'BAD_USER_INPUT', /"input.rating" must be a whole number from 1 to 5/);
      expect(error.extensions!.field).toBe('input.rating');
    });
    expect((await productState(product.id)).reviewCount).toBe(before.reviewCount);
  });

  it('first: 101 answers BAD_USER_INPUT stating the bounds', async () => {
    const response = await server.request('{ products(first: 101) { edges { cursor } } }');
    const error = expectError(response, 200, 'BAD_USER_INPUT', /"first" must be from 0 to 100/);
    expect(error.extensions!.field).toBe('first');
  });

  it('a garbage after cursor answers BAD_USER_INPUT saying where cursors come from', async () => {
    const response = await server.request('query ($after: String) { products(after: $after) { edges { cursor } } }', { after: 'not-a-cursor!' });
    const error = expectError(response, 200, 'BAD_USER_INPUT', /"after".*endCursor/);
    expect(error.extensions!.field).toBe('after');
  });

  // Found by this suite: a cursor that decodes but holds the wrong kind of sort value reached
  // SQL (`'garbage'::timestamptz`) and failed as INTERNAL_SERVER_ERROR.
  const forged = (value: unknown) => Buffer.from(JSON.stringify([value, 1])).toString('base64url');
  it.each([
    ['products, newest first', '{ products(after: "%s") { edges { cursor } } }', 'garbage'],
    ['products by price', '{ products(orderBy: PRICE_ASC, after: "%s") { edges { cursor } } }', 'cheap'],
    ['products by name', '{ products(orderBy: NAME_ASC, after: "%s") { edges { cursor } } }', 42],
    ['a product\'s reviews', '{ product(id: "1") { reviews(after: "%s") { edges { cursor } } } }', 'yesterday'],
  ])('a forged cursor on %s answers BAD_USER_INPUT', async (_list, query, value) => {
    const response = await server.request(query.replace('%s', forged(value)));
    const error = expectError(response, 200, 'BAD_USER_INPUT', /"after" is not a cursor this API issued/);
    expect(error.extensions!.field).toBe('after');
  });

  it('a forged cursor on the viewer\'s orders answers BAD_USER_INPUT', async () => {
    const response = await server.request(`{ me { orders(after: "${forged('garbage')}") { edges { cursor } } } }`, {}, { token: customerToken });
    expectError(response, 200, 'BAD_USER_INPUT', /"after" is not a cursor this API issued/);
  });
});

describe('orders that would oversell', () => {
  it('more than the stock answers INSUFFICIENT_STOCK, keeps the stock, writes no order', async () => {
    const [product] = stocked(1, 1, 20);
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(PLACE_ORDER, { items: [{ productId: String(product!.id), quantity: product!.stock + 1 }] }, { token: customerToken });
      const error = expectError(response, 200, 'BAD_USER_INPUT', new RegExp(`Only ${product!.stock} .*in stock.*Lower the quantity`));
      expect(error.extensions!.reason).toBe('INSUFFICIENT_STOCK');
      expect(error.extensions!.available).toBe(product!.stock);
    });
    expect((await productState(product!.id)).stock).toBe(product!.stock);
  });

  it('a multi-line order whose LAST line oversells changes nothing at all', async () => {
    // Ascending ids, so the overselling line is the last both as sent and as checked.
    const lines = stocked(2, 3, 30).sort((a, b) => a.id - b.id);
    const last = lines[lines.length - 1]!;
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(
        PLACE_ORDER,
        {
          items: lines.map((p) => ({ productId: String(p.id), quantity: p === last ? p.stock + 1 : 1 })),
        },
        { token: customerToken },
      );
      const error = expectError(response, 200, 'BAD_USER_INPUT', /in stock/);
      expect(error.extensions!.reason).toBe('INSUFFICIENT_STOCK');
      expect(error.extensions!.productId).toBe(String(last.id));
    });
    for (const p of lines) expect((await productState(p.id)).stock).toBe(p.stock);
  });

  it('an order whose total overflows answers BAD_USER_INPUT and rolls back its stock writes', async () => {
    // Found by this suite: the total did not fit the integer column and the INSERT failed
    // with an INTERNAL_SERVER_ERROR after the stock was already taken in the transaction.
    const [product] = stocked(2, 1, 40);
    const priced = await server.request(UPDATE_PRODUCT, { id: String(product!.id), input: { priceCents: 2_000_000_000 } }, { token: adminToken });
    expect(priced.body.errors).toBeUndefined();
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(PLACE_ORDER, { items: [{ productId: String(product!.id), quantity: 2 }] }, { token: customerToken });
      expectError(response, 200, 'BAD_USER_INPUT', /total/);
    });
    expect((await productState(product!.id)).stock).toBe(product!.stock);
  });
});

describe('who may do what', () => {
  const product = () => String(server.dataset.products[5]!.id);

  it('addReview without a session answers UNAUTHENTICATED saying how to sign in', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(ADD_REVIEW, { productId: product(), rating: 5, body: 'Great' });
      expectError(response, 200, 'UNAUTHENTICATED', /Sign in.*login.*Authorization: Bearer/);
      expect(response.body.data).toBeNull();
    });
  });

  it('placeOrder without a session answers UNAUTHENTICATED', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(PLACE_ORDER, { items: [{ productId: product(), quantity: 1 }] });
      expectError(response, 200, 'UNAUTHENTICATED', /Sign in/);
    });
  });

  it('a token that is not a live session counts as anonymous', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(ADD_REVIEW, { productId: product(), rating: 5, body: 'Great' }, { token: 'x'.repeat(43) });
      expectError(response, 200, 'UNAUTHENTICATED', /Sign in/);
    });
  });

  it('updateProduct as a CUSTOMER answers FORBIDDEN naming the role needed', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(UPDATE_PRODUCT, { id: product(), input: { priceCents: 1 } }, { token: customerToken });
      expectError(response, 200, 'FORBIDDEN', /ADMIN/);
    });
  });

  it('updateProduct without a session answers UNAUTHENTICATED', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(UPDATE_PRODUCT, { id: product(), input: { priceCents: 1 } });
      expectError(response, 200, 'UNAUTHENTICATED', /Sign in/);
    });
  });
});

describe('input PostgreSQL cannot store', () => {
  // Found by this suite: a NUL character in a text argument reached the driver and failed as
  // INTERNAL_SERVER_ERROR (leaking the SQL outside production) instead of BAD_USER_INPUT.
  const NUL = 'bad\u0000text';

  it('a NUL character in a product description answers BAD_USER_INPUT', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(UPDATE_PRODUCT, { id: '1', input: { description: NUL } }, { token: adminToken });
      const error = expectError(response, 200, 'BAD_USER_INPUT', /"input.description".*NUL/);
      expect(error.extensions!.field).toBe('input.description');
    });
  });

  it('a NUL character in a review body answers BAD_USER_INPUT', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(ADD_REVIEW, { productId: '1', rating: 4, body: NUL }, { token: customerToken });
      expectError(response, 200, 'BAD_USER_INPUT', /"input.body".*NUL/);
    });
  });

  it('a NUL character in a search answers BAD_USER_INPUT', async () => {
    const response = await server.request('query ($q: String) { products(filter: { search: $q }) { edges { cursor } } }', { q: NUL });
    expectError(response, 200, 'BAD_USER_INPUT', /"filter.search".*NUL/);
  });

  it('a NUL character in a login email is just wrong credentials', async () => {
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request(benchDocument('login'), { email: `user1@example.com${NUL}`, password: 'storefront' });
      expectError(response, 200, 'UNAUTHENTICATED', /email and password do not match/);
    });
  });

  it('adjustStock past the largest storable stock answers BAD_USER_INPUT', async () => {
    // Found by this suite: `stock + delta` overflowed the integer column (INTERNAL_SERVER_ERROR).
    const id = String(server.dataset.products[6]!.id);
    const full = await server.request(UPDATE_PRODUCT, { id, input: { stock: 2_147_483_647 } }, { token: adminToken });
    expect(full.body.errors).toBeUndefined();
    await expectDatabaseUnchanged(server.database, async () => {
      const response = await server.request('mutation ($id: ID!) { adjustStock(id: $id, delta: 1) { stock } }', { id }, { token: adminToken });
      const error = expectError(response, 200, 'BAD_USER_INPUT', /"delta"/);
      expect(error.extensions!.field).toBe('delta');
    });
  });
});

describe('in production', () => {
  let production: TestServer;
  beforeAll(async () => {
    production = await startTestServer({ label: 'prod', config: { NODE_ENV: 'production', LOG_LEVEL: 'silent' } });
  });
  afterAll(() => production?.stop());

  it('client errors keep their message but carry no stacktrace (the test server does)', async () => {
    const query = '{ products(first: 101) { edges { cursor } } }';
    const prod = await production.request(query);
    const error = expectError(prod, 200, 'BAD_USER_INPUT', /"first" must be from 0 to 100/);
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    // The same request outside production does carry one, so the check above means something.
    const test = await server.request(query);
    expect(test.body.errors![0]!.extensions!.stacktrace).toBeDefined();

    const invalid = await production.request(PRODUCT, { id: 1.5 });
    expectError(invalid, 200, 'BAD_USER_INPUT', /\$id/);
    expect(invalid.body.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });

  it('an internal error is masked: generic message, no SQL, no stacktrace', async () => {
    // Simulates schema drift from outside the app (no src change): the rating aggregate's
    // column disappears, so the driver fails with an error naming the column.
    await production.database.orm.em.fork().getConnection().execute('alter table review rename column rating to rating_gone');
    const response = await production.request('query ($id: ID!) { product(id: $id) { id averageRating } }', { id: '1' });
    expect(response.status).toBe(200);
    expect(response.body.errors).toHaveLength(1);
    const error = response.body.errors![0]!;
    // The id the client can report is the one in the response header (and on the log line).
    const requestId = response.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId });
    expect(error.message).toMatch(/Something went wrong on our side/);
    expect(error.message).toContain(requestId);
    expect(error.message).not.toMatch(/rating_gone|select|review|column|does not exist/i);
    expect(error.path).toEqual(['product', 'averageRating']);
    // The rest of the answer still arrives: only the failed field is null.
    expect(response.body.data).toEqual({ product: { id: '1', averageRating: null } });
  });
});
