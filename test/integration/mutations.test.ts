/**
 * Every write, on its happy path: what it answers, what it leaves in the database, and the
 * domain events it announces once committed. Plus the races that must not oversell or lose
 * updates, sessions, and who may read whose private data.
 */
import type { DomainEvent } from '../../src/events/domain-events';
import { benchDocument } from '../helpers/documents';
import { expectDatabaseUnchanged } from '../helpers/db-snapshot';
import { startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';

let server: TestServer;
let adminToken: string;

beforeAll(async () => {
  server = await startTestServer({ label: 'mutations' });
  adminToken = await server.login(1);
});
afterAll(() => server?.stop());

const PRODUCT = 'query ($id: ID!) { product(id: $id) { id priceCents stock updatedAt reviewCount averageRating } }';
const UPDATE_PRODUCT =
  'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id priceCents stock } }';
const ADJUST_STOCK = 'mutation ($id: ID!, $delta: Int!) { adjustStock(id: $id, delta: $delta) { id stock } }';
const PLACE_ORDER = `mutation ($items: [OrderLineInput!]!) {
  placeOrder(input: { items: $items }) {
    id status totalCents currency createdAt
    items { quantity unitPriceCents product { id } }
  }
}`;

/** Runs `action` and returns it with the domain events published meanwhile. */
async function withEvents<T>(action: () => Promise<T>): Promise<{ result: T; events: DomainEvent[] }> {
  const mark = server.events.length;
  const result = await action();
  return { result, events: server.events.slice(mark) };
}

function ok<T = any>(response: GraphQLResponse<T>): T {
  expect(response.body.errors).toBeUndefined();
  expect(response.status).toBe(200);
  return response.body.data!;
}

async function productState(id: number | string) {
  return ok(await server.request(PRODUCT, { id: String(id) })).product as {
    id: string;
    priceCents: number;
    stock: number;
    updatedAt: string;
    reviewCount: number;
    averageRating: number | null;
  };
}

/** A column of one product row, read on a connection of its own (committed data only). */
async function committedColumn(productId: number, column: 'price_cents' | 'stock'): Promise<number> {
  const rows = await server.database.orm.em
    .fork()
    .getConnection()
    .execute<{ value: number }[]>(`select ${column} as value from product where id = ?`, [productId]);
  return rows[0]!.value;
}

async function setStock(productId: number, stock: number): Promise<void> {
  ok(await server.request(UPDATE_PRODUCT, { id: String(productId), input: { stock } }, { token: adminToken }));
}

// Each describe block uses its own products and users, so the blocks do not depend on order.
const product = (index: number) => server.dataset.products[index]!;

describe('updateProduct via update-price.graphql', () => {
  it('changes the price, moves updatedAt forward, and the product page shows it', async () => {
    const target = product(10);
    const before = await productState(target.id);
    const newPrice = before.priceCents + 123;
    const started = Date.now();

    const { result, events } = await withEvents(() =>
      server.request(benchDocument('update-price'), { id: String(target.id), priceCents: newPrice }, { token: adminToken }),
    );
    const updated = ok(result).updateProduct;
    expect(updated).toMatchObject({ id: String(target.id), priceCents: newPrice });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(started - 1000);

    const page = ok(await server.request(benchDocument('product-page'), { id: String(target.id) })).product;
    expect(page.priceCents).toBe(newPrice);
    expect(await committedColumn(target.id, 'price_cents')).toBe(newPrice);

    // Exactly one event, and it names the changed field.
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'ProductUpdated', productId: target.id });
    expect((events[0] as Extract<DomainEvent, { type: 'ProductUpdated' }>).fields).toContain('priceCents');
  });

  it('publishes ProductUpdated only after the transaction committed', async () => {
    // A handler of our own reads the row on another connection while the event is delivered:
    // had the event gone out inside the transaction, that read would still see the old price.
    const target = product(11);
    const newPrice = target.priceCents + 7;
    const seenByHandler: number[] = [];
    const unsubscribe = server.bus.subscribe(async (batch) => {
      if (batch.some((event) => event.type === 'ProductUpdated' && event.productId === target.id)) {
        seenByHandler.push(await committedColumn(target.id, 'price_cents'));
      }
    });
    try {
      ok(await server.request(benchDocument('update-price'), { id: String(target.id), priceCents: newPrice }, { token: adminToken }));
    } finally {
      unsubscribe();
    }
    expect(seenByHandler).toEqual([newPrice]);
  });

  it('setting the same price again changes nothing and announces nothing', async () => {
    const target = product(12);
    const before = await productState(target.id);
    const { result, events } = await withEvents(() =>
      server.request(benchDocument('update-price'), { id: String(target.id), priceCents: before.priceCents }, { token: adminToken }),
    );
    expect(ok(result).updateProduct.updatedAt).toBe(before.updatedAt);
    expect(events).toEqual([]);
  });
});

describe('createProduct', () => {
  const CREATE = `mutation ($input: CreateProductInput!) {
    createProduct(input: $input) { id sku name description priceCents currency stock category { id } reviewCount averageRating }
  }`;

  it('creates a product that can be queried back, and announces it', async () => {
    const input = { sku: 'TEST-NEW-0001', name: 'Test Teapot', description: 'Brews tests.', priceCents: 2599, stock: 12, categoryId: '3' };
    const { result, events } = await withEvents(() => server.request(CREATE, { input }, { token: adminToken }));
    const created = ok(result).createProduct;
    expect(created).toEqual({
      id: expect.any(String),
      sku: 'TEST-NEW-0001',
      name: 'Test Teapot',
      description: 'Brews tests.',
      priceCents: 2599,
      currency: 'USD',
      stock: 12,
      category: { id: '3' },
      reviewCount: 0,
      averageRating: null,
    });
    // A new id, past every seeded one.
    expect(Number(created.id)).toBeGreaterThan(server.dataset.products.length);

    const page = ok(await server.request(benchDocument('product-page'), { id: created.id })).product;
    expect(page).toMatchObject({ id: created.id, sku: 'TEST-NEW-0001', name: 'Test Teapot', priceCents: 2599, stock: 12 });
    expect(page.category.id).toBe('3');
    expect(page.reviews).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });

    expect(events).toEqual([{ type: 'ProductCreated', productId: Number(created.id), categoryId: 3 }]);
  });

  it('a duplicate sku answers BAD_USER_INPUT naming the sku, and writes nothing', async () => {
    const input = { sku: server.dataset.products[0]!.sku, name: 'Copy', priceCents: 100, categoryId: '1' };
    const { events } = await withEvents(() =>
      expectDatabaseUnchanged(server.database, async () => {
        const response = await server.request(CREATE, { input }, { token: adminToken });
        expect(response.body.data).toBeNull();
        expect(response.body.errors).toHaveLength(1);
        const error = response.body.errors![0]!;
        expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.sku' });
        expect(error.message).toContain(`"${input.sku}" exists already`);
      }),
    );
    expect(events).toEqual([]);
  });
});

describe('adjustStock under concurrency', () => {
  it('20 concurrent -1 on a stock of 10: exactly 10 succeed, 10 refuse, stock ends at 0', async () => {
    const target = product(20);
    await setStock(target.id, 10);
    const mark = server.events.length;

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => server.request(ADJUST_STOCK, { id: String(target.id), delta: -1 }, { token: adminToken })),
    );
    const succeeded = responses.filter((r) => r.body.data?.adjustStock);
    const refused = responses.filter((r) => r.body.errors);
    expect(succeeded).toHaveLength(10);
    expect(refused).toHaveLength(10);
    for (const r of refused) {
      expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INSUFFICIENT_STOCK', field: 'delta' });
    }
    // Never negative in any answer, and no lost update: the row holds exactly 10 - 10.
    for (const r of succeeded) expect(r.body.data!.adjustStock.stock).toBeGreaterThanOrEqual(0);
    expect(await committedColumn(target.id, 'stock')).toBe(0);
    expect((await productState(target.id)).stock).toBe(0);
    // One announcement per applied adjustment, none for the refused ones.
    const announced = server.events.slice(mark).filter((e) => e.type === 'ProductUpdated' && e.productId === target.id);
    expect(announced).toHaveLength(10);
  });
});

describe('addReview via add-review.graphql', () => {
  it('returns the review with the product count and mean recomputed, authored by the viewer', async () => {
    // A product that already has reviews, so the mean genuinely changes.
    const target = server.dataset.products.find((p, i) => i >= 30 && server.dataset.reviews.filter((r) => r.productId === p.id).length >= 2)!;
    const existing = server.dataset.reviews.filter((r) => r.productId === target.id);
    const userNumber = 7;
    const token = await server.login(userNumber);

    const { result, events } = await withEvents(() =>
      server.request(benchDocument('add-review'), { productId: String(target.id), rating: 5, body: 'Five stars from the tests.' }, { token }),
    );
    const review = ok(result).addReview;
    const expectedMean = (existing.reduce((sum, r) => sum + r.rating, 0) + 5) / (existing.length + 1);
    expect(review).toMatchObject({ id: expect.any(String), rating: 5, product: { id: String(target.id), reviewCount: existing.length + 1 } });
    expect(review.product.averageRating).toBeCloseTo(expectedMean, 10);

    // The product page lists it first (newest first), signed by the viewer.
    const page = ok(await server.request(benchDocument('product-page'), { id: String(target.id) })).product;
    expect(page.reviewCount).toBe(existing.length + 1);
    expect(page.reviews.totalCount).toBe(existing.length + 1);
    expect(page.reviews.edges[0].node).toMatchObject({
      id: review.id,
      rating: 5,
      body: 'Five stars from the tests.',
      author: { id: String(userNumber), name: server.dataset.users[userNumber - 1]!.name },
    });

    expect(events).toEqual([{ type: 'ReviewAdded', reviewId: Number(review.id), productId: target.id, authorId: userNumber }]);
  });
});

describe('placeOrder', () => {
  it('charges sum(price x quantity), takes the stock, and lists the order first in me.graphql', async () => {
    const userNumber = 8;
    const token = await server.login(userNumber);
    const lines = server.dataset.products.slice(40, 60).filter((p) => p.stock >= 3).slice(0, 2).sort((a, b) => a.id - b.id);
    expect(lines).toHaveLength(2);
    const quantities = [2, 3];
    const items = lines.map((p, i) => ({ productId: String(p.id), quantity: quantities[i] }));
    const expectedTotal = lines.reduce((sum, p, i) => sum + p.priceCents * quantities[i]!, 0);

    const { result, events } = await withEvents(() => server.request(PLACE_ORDER, { items }, { token }));
    const order = ok(result).placeOrder;
    expect(order).toMatchObject({ status: 'PENDING', currency: 'USD', totalCents: expectedTotal });
    expect(order.items).toEqual(
      lines.map((p, i) => ({ quantity: quantities[i], unitPriceCents: p.priceCents, product: { id: String(p.id) } })),
    );

    for (const [i, p] of lines.entries()) {
      expect((await productState(p.id)).stock).toBe(p.stock - quantities[i]!);
    }

    // me.graphql lists the new order first (newest first), with its items.
    const me = ok(await server.request(benchDocument('me'), {}, { token })).me;
    expect(me.id).toBe(String(userNumber));
    const orders = me.orders.edges.map((e: any) => e.node);
    expect(orders[0]).toMatchObject({ id: order.id, totalCents: expectedTotal, status: 'PENDING' });
    expect(orders[0].items.map((item: any) => [item.product.id, item.quantity])).toEqual(
      lines.map((p, i) => [String(p.id), quantities[i]]),
    );
    const times = orders.map((o: any) => Date.parse(o.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    expect(events).toEqual([
      { type: 'OrderPlaced', orderId: Number(order.id), userId: userNumber, productIds: lines.map((p) => p.id) },
      ...lines.map((p) => ({ type: 'ProductUpdated', productId: p.id, fields: expect.arrayContaining(['stock']), categoryIds: [] })),
    ]);
  });

  it('two users racing for the last units: one wins, the other hears INSUFFICIENT_STOCK', async () => {
    const target = product(70);
    await setStock(target.id, 2);
    const [tokenA, tokenB] = await Promise.all([server.login(9), server.login(10)]);
    const ordersBefore = await countRows('customer_order');

    const items = [{ productId: String(target.id), quantity: 2 }];
    const responses = await Promise.all([
      server.request(PLACE_ORDER, { items }, { token: tokenA }),
      server.request(PLACE_ORDER, { items }, { token: tokenB }),
    ]);
    const winners = responses.filter((r) => r.body.data?.placeOrder);
    const losers = responses.filter((r) => r.body.errors);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0]!.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INSUFFICIENT_STOCK', available: 0 });

    expect(await committedColumn(target.id, 'stock')).toBe(0);
    expect(await countRows('customer_order')).toBe(ordersBefore + 1);
  });
});

async function countRows(table: 'customer_order' | 'session'): Promise<number> {
  const rows = await server.database.orm.em.fork().getConnection().execute<{ n: number }[]>(`select count(*)::int as n from ${table}`);
  return rows[0]!.n;
}

describe('login and sessions', () => {
  const LOGIN = benchDocument('login');
  const ME = benchDocument('me');

  it('returns a token and the user, and sets an HttpOnly sid cookie holding the token', async () => {
    const response = await server.request(LOGIN, { email: 'user3@example.com', password: 'storefront' });
    const { login } = ok(response);
    expect(login.user).toEqual({ id: '3', name: server.dataset.users[2]!.name });
    expect(login.token).toMatch(/^[A-Za-z0-9_-]{20,100}$/);

    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    const cookie = cookies[0]!;
    expect(cookie).toMatch(new RegExp(`^sid=${login.token};`));
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\//i);
  });

  it('the cookie alone, with no bearer header, authenticates me.graphql', async () => {
    const response = await server.request(LOGIN, { email: 'user4@example.com', password: 'storefront' });
    const sid = /^sid=([^;]+)/.exec(response.headers.getSetCookie()[0]!)![1]!;
    const me = ok(await server.request(ME, {}, { headers: { cookie: `sid=${sid}` } })).me;
    expect(me).toMatchObject({ id: '4', email: 'user4@example.com' });
  });

  it('a wrong password and an unknown email get the same UNAUTHENTICATED answer, and no session', async () => {
    const attempts = await expectDatabaseUnchanged(server.database, () =>
      Promise.all([
        server.request(LOGIN, { email: 'user5@example.com', password: 'not-the-password' }),
        server.request(LOGIN, { email: 'nobody@example.com', password: 'storefront' }),
      ]),
    );
    for (const response of attempts) {
      expect(response.body.data).toBeNull();
      expect(response.body.errors).toHaveLength(1);
      expect(response.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    const [wrongPassword, unknownEmail] = attempts.map((r) => r.body.errors![0]!);
    expect(wrongPassword!.message).toBe(unknownEmail!.message);
    expect(wrongPassword!.message).toMatch(/email and password/);
    expect(wrongPassword!.extensions).toEqual(unknownEmail!.extensions);
  });

  it('logout ends the session: the token and the cookie no longer sign anyone in', async () => {
    const token = await server.login(6);
    expect(ok(await server.request(ME, {}, { token })).me.id).toBe('6');
    const sessionsBefore = await countRows('session');

    const logout = await server.request('mutation { logout }', {}, { token });
    expect(ok(logout)).toEqual({ logout: true });
    // The cookie is cleared: same name, emptied and expired.
    const cleared = logout.headers.getSetCookie();
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatch(/^sid=;/);
    expect(cleared[0]).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(await countRows('session')).toBe(sessionsBefore - 1);

    // me is simply null for an unknown session, without an error.
    const byBearer = await server.request(ME, {}, { token });
    expect(byBearer.body.data).toEqual({ me: null });
    expect(byBearer.body.errors).toBeUndefined();
    const byCookie = await server.request(ME, {}, { headers: { cookie: `sid=${token}` } });
    expect(byCookie.body.data).toEqual({ me: null });
    expect(byCookie.body.errors).toBeUndefined();
    // And writes need a session again.
    const review = await server.request(benchDocument('add-review'), { productId: '1', rating: 4, body: 'After logout' }, { token });
    expect(review.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});

describe('privacy of email and orders', () => {
  const AUTHOR_FIELD = (field: string) => `query ($id: ID!) {
    product(id: $id) { id reviews(first: 1) { edges { node { id author { id name ${field} } } } } }
  }`;
  const viewerNumber = 11;
  let viewerToken: string;
  // A product whose newest review is by someone other than the viewer.
  let target: { productId: number; authorId: number };

  beforeAll(async () => {
    viewerToken = await server.login(viewerNumber);
    const reviews = server.dataset.reviews.filter((r) => r.productId > 100 && r.productId <= 150);
    const newestByProduct = new Map<number, (typeof reviews)[number]>();
    for (const r of reviews) {
      const seen = newestByProduct.get(r.productId);
      if (!seen || r.createdAt > seen.createdAt || (r.createdAt.getTime() === seen.createdAt.getTime() && r.id > seen.id)) {
        newestByProduct.set(r.productId, r);
      }
    }
    const pick = [...newestByProduct.values()].find((r) => r.authorId !== viewerNumber)!;
    target = { productId: pick.productId, authorId: pick.authorId };
  });

  it.each(['email', 'orders { edges { node { id totalCents } } }'])(
    'another user\'s %s via a review\'s author answers FORBIDDEN and leaves the data out',
    async (field) => {
      const response = await server.request(AUTHOR_FIELD(field), { id: String(target.productId) }, { token: viewerToken });
      expect(response.status).toBe(200);
      expect(response.body.errors).toHaveLength(1);
      const error = response.body.errors![0]!;
      expect(error.extensions!.code).toBe('FORBIDDEN');
      expect(error.message).toContain(`"${field.split(' ')[0]}"`);
      expect(error.path).toEqual(['product', 'reviews', 'edges', 0, 'node', 'author', field.split(' ')[0]]);
      // The non-null field's error nulls its nullable ancestor: nothing of the author leaks.
      expect(response.body.data).toEqual({ product: null });
      const text = JSON.stringify(response.body);
      expect(text).not.toContain(`user${target.authorId}@example.com`);
      expect(text).not.toContain('totalCents');
    },
  );

  it('anonymous readers get FORBIDDEN for an author\'s email too', async () => {
    const response = await server.request(AUTHOR_FIELD('email'), { id: String(target.productId) });
    expect(response.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    expect(JSON.stringify(response.body)).not.toContain('@example.com');
  });

  it('the viewer may read their own email through the same path', async () => {
    // Control: the check is "is it me", not "never through a review".
    const productId = product(160).id;
    ok(await server.request(benchDocument('add-review'), { productId: String(productId), rating: 3, body: 'Mine.' }, { token: viewerToken }));
    const response = await server.request(AUTHOR_FIELD('email'), { id: String(productId) }, { token: viewerToken });
    expect(ok(response).product.reviews.edges[0].node.author).toEqual({
      id: String(viewerNumber),
      name: server.dataset.users[viewerNumber - 1]!.name,
      email: `user${viewerNumber}@example.com`,
    });
  });
});

describe('what each write costs, and what it leaves in the outbox', () => {
  /** Outbox rows by type since `mark`, and whether each is published. */
  async function outboxSince(mark: number): Promise<{ type: string; published: boolean }[]> {
    return server.database.orm.em
      .fork()
      .getConnection()
      .execute<{ type: string; published: boolean }[]>(
        'select type, published_at is not null as published from outbox_event where id > ? order by id',
        [mark],
      );
  }
  async function lastOutboxId(): Promise<number> {
    const rows = await server.database.orm.em.fork().getConnection().execute<{ id: string | null }[]>('select max(id) as id from outbox_event');
    return Number(rows[0]!.id ?? 0);
  }

  it.each([
    // [write, statements before the outbox, statements now, outbox rows]
    ['updateProduct (price)', 1, 2, ['ProductUpdated']],
    ['adjustStock', 2, 2, ['ProductUpdated']],
    ['createProduct', 5, 7, ['ProductCreated']],
    ['addReview', 6, 8, ['ReviewAdded']],
    ['placeOrder (2 lines)', 8, 10, ['OrderPlaced', 'ProductUpdated', 'ProductUpdated']],
    ['logout', 1, 2, ['SessionEnded']],
  ] as const)('%s: %d statements before the outbox, %d now, rows %j published', async (write, _before, now, types) => {
    const customer = await server.login(12);
    const sessionToEnd = await server.login(13);
    // Warm the sessions: a first request with a token reads it.
    for (const token of [adminToken, customer, sessionToEnd]) ok(await server.request('{ me { id } }', {}, { token }));
    const target = product(90);
    const run: Record<string, () => Promise<GraphQLResponse>> = {
      'updateProduct (price)': () =>
        server.request(benchDocument('update-price'), { id: String(target.id), priceCents: target.priceCents + 1 }, { token: adminToken }),
      adjustStock: () => server.request(ADJUST_STOCK, { id: String(target.id), delta: 1 }, { token: adminToken }),
      createProduct: () =>
        server.request('mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }', {
          input: { sku: 'TEST-COST-1', name: 'Cost', priceCents: 100, categoryId: '2' },
        }, { token: adminToken }),
      addReview: () => server.request(benchDocument('add-review'), { productId: String(target.id), rating: 4, body: 'Counted.' }, { token: customer }),
      'placeOrder (2 lines)': () =>
        server.request(PLACE_ORDER, { items: [{ productId: String(product(91).id), quantity: 1 }, { productId: String(product(92).id), quantity: 1 }] }, { token: customer }),
      logout: () => server.request('mutation { logout }', {}, { token: sessionToEnd }),
    };
    const mark = await lastOutboxId();
    let response!: GraphQLResponse;
    // One more statement per write marks its rows published, after the answer; two more in a
    // transaction record them (one multi-row INSERT) where the data is written by the ORM;
    // writes made in one statement record them in that statement.
    expect(await server.countSql(async () => (response = await run[write]!()))).toBe(now);
    ok(response);
    expect(response.body.extensions?.cache?.invalidation).toEqual({ status: 'acknowledged', receivers: 1, acknowledged: 1 });
    // Exactly the domain events: the API's own writes leave no trigger rows.
    expect(await outboxSince(mark)).toEqual(types.map((type) => ({ type, published: true })));
  });
});
