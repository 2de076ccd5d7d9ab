/**
 * Durable invalidation, on real PostgreSQL and Redis: a writer cut off from Redis or dead after
 * its commit loses no invalidation (the outbox relay of another instance publishes it), writes
 * made outside the API reach every instance through the database's triggers, two relays never
 * publish one row at once, retention deletes only what it should, and an ADMIN can invalidate
 * by type, entity or tag over GraphQL and HTTP.
 */
import { Client } from 'pg';
import { benchDocument } from '../helpers/documents';
import { TEST_REDIS_URL } from '../helpers/env';
import { startTestServer, type GraphQLResponse, type TestInstance, type TestServer } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { until } from '../helpers/until';
import { warm } from '../helpers/warm';
import { outboxInsert } from '../../src/events/outbox';
import { tagsForEvent } from '../../src/modules/invalidation';
import type { DomainEvent } from '../../src/events/domain-events';

/** Short delays, so a relay publishes within a test's patience; acknowledgements stay generous. */
const OUTBOX = { OUTBOX_POLL_MS: '100', OUTBOX_PUBLISH_DELAY_MS: '300' };

let server: TestServer;
let other: TestInstance;
let proxy: TcpProxy;
let cutOff: TestInstance;
let adminToken: string;
const foreign: Client[] = [];

beforeAll(async () => {
  const target = new URL(TEST_REDIS_URL);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  server = await startTestServer({ label: 'outbox', redis: true, config: OUTBOX });
  other = await server.startInstance();
  // Reaches Redis only through the proxy, which a test cuts.
  cutOff = await server.startInstance({ REDIS_URL: proxy.url, REDIS_COMMAND_TIMEOUT_MS: '200' });
  adminToken = await server.login(1);
}, 60_000);
afterAll(async () => {
  await Promise.all(foreign.map((client) => client.end().catch(() => undefined)));
  await server?.stop();
  await proxy?.close();
});

/** A connection of another program (psql, an import job): its writes are not the API's. */
async function connect(applicationName = 'psql'): Promise<Client> {
  const client = new Client({ connectionString: server.config.databaseUrl, application_name: applicationName });
  await client.connect();
  foreign.push(client);
  return client;
}

function ok<T = any>(response: GraphQLResponse<T>): T {
  expect(response.body.errors).toBeUndefined();
  return response.body.data!;
}

const PRICE = 'query ($id: ID!) { product(id: $id) { id priceCents } }';
const price = async (instance: TestInstance, id: number) => ok(await instance.request(PRICE, { id: String(id) })).product.priceCents as number;

async function outboxRows(where = 'true', params: unknown[] = []) {
  return server.database.orm.em
    .fork()
    .getConnection()
    .execute<{ id: string; type: string; payload: any; tags: string[] | null; published: boolean }[]>(
      `select id, type, payload, tags, published_at is not null as published from outbox_event where ${where} order by id`,
      params,
    );
}

describe('a writer cut off from Redis', () => {
  afterAll(() => proxy.restore().catch(() => undefined));

  it('answers at once with its invalidation deferred; the other instances stop serving the old value once a relay publishes it', async () => {
    const id = server.dataset.products[5]!.id;
    const before = server.dataset.products[5]!.priceCents;
    await warm([server, other], PRICE, { id: String(id) });
    expect(await price(other, id)).toBe(before);

    await proxy.cut();
    await until(() => !cutOff.app.cacheLayer.canPublish());
    const started = Date.now();
    const response = await cutOff.request(benchDocument('update-price'), { id: String(id), priceCents: before + 500 }, { token: adminToken });
    expect(ok(response).updateProduct.priceCents).toBe(before + 500);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(response.body.extensions!.cache.invalidation).toEqual({ status: 'deferred', receivers: 0, acknowledged: 0 });
    // Its row waits for a relay: the writer could not tell anyone.
    const [row] = await outboxRows(`type = 'ProductUpdated' and payload->>'productId' = ?`, [String(id)]);
    expect(row).toMatchObject({ published: false });

    // Without the relay, both would keep the old price for the entity's TTL (300 s).
    await until(async () => (await price(other, id)) === before + 500 && (await price(server, id)) === before + 500);
    await until(async () => (await outboxRows('id = ?', [row!.id]))[0]!.published);
    // The cut-off writer reads the database meanwhile, so it never served the old price.
    expect(await price(cutOff, id)).toBe(before + 500);
  });
});

describe('a writer that dies after its commit, before publishing', () => {
  it('loses nothing: another instance\'s relay publishes its rows', async () => {
    const id = server.dataset.products[6]!.id;
    const before = server.dataset.products[6]!.priceCents;
    await warm([server, other], PRICE, { id: String(id) });

    // What the API's updateProduct commits (the data and its event, under the API's connection
    // name, so no trigger fires), with nothing published afterwards.
    const writer = await connect('storefront-api');
    const event: DomainEvent = { type: 'ProductUpdated', productId: id, fields: ['priceCents', 'updatedAt'], categoryIds: [] };
    const insert = outboxInsert([{ type: event.type, payload: event, tags: tagsForEvent(event) }]);
    await writer.query('begin');
    await writer.query('update product set price_cents = $1, updated_at = now() where id = $2', [before + 700, id]);
    const { rows } = await writer.query(insert.sql.replace('?', '$1'), insert.params);
    await writer.query('commit');

    await until(async () => (await price(server, id)) === before + 700 && (await price(other, id)) === before + 700);
    await until(async () => (await outboxRows('id = ?', [rows[0].id]))[0]!.published);
  });
});

describe('writes made outside the API', () => {
  it('a price changed in psql is read through every instance within a bounded wait', async () => {
    const id = server.dataset.products[7]!.id;
    const before = server.dataset.products[7]!.priceCents;
    await warm([server, other], PRICE, { id: String(id) });
    const mark = (await outboxRows()).at(-1)?.id ?? '0';

    const psql = await connect();
    await psql.query('update product set price_cents = $1 where id = $2', [before + 900, id]);

    await until(async () => (await price(server, id)) === before + 900 && (await price(other, id)) === before + 900);
    const rows = await outboxRows('id > ?', [mark]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      type: 'RowChanged',
      tags: null,
      payload: { table: 'product', op: 'UPDATE', old: { id, price_cents: before }, new: { id, price_cents: before + 900 } },
    });
    await until(async () => (await outboxRows('id = ?', [rows[0]!.id]))[0]!.published);
  });

  it('a category move drops both categories\' lists; a new review drops the product\'s reviews', async () => {
    const moved = server.dataset.products.find((p) => p.categoryId === 1)!;
    const LIST = 'query ($id: ID!) { category(id: $id) { products(first: 100) { edges { node { id } } } } }';
    const ids = async (instance: TestInstance, categoryId: number) =>
      ok(await instance.request(LIST, { id: String(categoryId) })).category.products.edges.map((e: any) => Number(e.node.id)) as number[];
    const reviewed = server.dataset.products[8]!;
    const COUNT = 'query ($id: ID!) { product(id: $id) { reviewCount } }';
    for (const categoryId of [1, 2]) await warm([server, other], LIST, { id: String(categoryId) });
    await warm([server, other], COUNT, { id: String(reviewed.id) });
    const reviews = ok(await other.request(COUNT, { id: String(reviewed.id) })).product.reviewCount as number;

    const psql = await connect();
    await psql.query('update product set category_id = 2 where id = $1', [moved.id]);
    await psql.query(`insert into review (product_id, author_id, rating, body) values ($1, 3, 5, 'Imported.')`, [reviewed.id]);

    for (const instance of [server, other]) {
      await until(async () => !(await ids(instance, 1)).includes(moved.id) && (await ids(instance, 2)).includes(moved.id));
      await until(async () => ok(await instance.request(COUNT, { id: String(reviewed.id) })).product.reviewCount === reviews + 1);
    }
  });

  it('a session deleted in psql stops signing anyone in, on every instance', async () => {
    const token = await server.login(9);
    // The session alone: `{ __typename }` reads nothing else.
    await warm([server, other], '{ __typename }', {}, token);
    for (const instance of [server, other]) expect(ok(await instance.request('{ me { id } }', {}, { token })).me).toEqual({ id: '9' });
    const psql = await connect();
    await psql.query('delete from session where user_id = 9');
    for (const instance of [server, other]) await until(async () => ok(await instance.request('{ me { id } }', {}, { token })).me === null);
  });

  it('copies no password hash into the outbox', async () => {
    const psql = await connect();
    await psql.query(`update app_user set name = 'Renamed By Hand' where id = 20`);
    const [row] = await outboxRows(`type = 'RowChanged' and payload->>'table' = 'app_user'`);
    expect(row!.payload.new).toMatchObject({ id: 20, name: 'Renamed By Hand' });
    expect(JSON.stringify(row!.payload)).not.toContain('password');
  });

  it('the API\'s own writes leave no trigger rows: one row per domain event', async () => {
    const mark = (await outboxRows()).at(-1)?.id ?? '0';
    const customer = await server.login(10);
    ok(await server.request(benchDocument('update-price'), { id: '30', priceCents: 1234 }, { token: adminToken }));
    ok(await other.request(benchDocument('add-review'), { productId: '30', rating: 3, body: 'Via the API.' }, { token: customer }));
    ok(await server.request('mutation { placeOrder(input: { items: [{ productId: "31", quantity: 1 }] }) { id } }', {}, { token: customer }));
    const rows = await outboxRows('id > ?', [mark]);
    expect(rows.map((row) => row.type)).toEqual(['ProductUpdated', 'ReviewAdded', 'OrderPlaced', 'ProductUpdated']);
    // Each carries its writer's tags, except the update, whose tags depend on what changed (derived by the relay if needed).
    expect(rows.map((row) => row.tags)).toEqual([null, ['Product:30:reviews', 'User:10:reviews'], ['User:10:orders'], ['Product:31']]);
  });

  it('a write every instance acknowledged says so in extensions.cache', async () => {
    // The cut-off instance is back on Redis (restored above): three instances hear it.
    await until(() => cutOff.app.cacheLayer.canPublish());
    const response = await other.request(benchDocument('update-price'), { id: '32', priceCents: 4321 }, { token: adminToken });
    expect(response.body.extensions!.cache.invalidation).toEqual({ status: 'acknowledged', receivers: 3, acknowledged: 3 });
  });
});

describe('invalidateCache (ADMIN)', () => {
  const INVALIDATE = `mutation ($types: [String!], $entities: [EntityRefInput!], $tags: [String!]) {
    invalidateCache(types: $types, entities: $entities, tags: $tags) { tags purged status receivers acknowledged eventId }
  }`;

  beforeAll(() => until(() => cutOff.app.cacheLayer.canPublish()));

  /** Changes a price as another system would, with no trigger to tell the cache (the API's connection name). */
  async function changeUnseen(id: number, priceCents: number): Promise<void> {
    const hidden = await connect('storefront-api');
    await hidden.query('update product set price_cents = $1 where id = $2', [priceCents, id]);
  }

  it('by entity: both instances read the new value as soon as it answers', async () => {
    const id = server.dataset.products[40]!.id;
    await warm([server, other], PRICE, { id: String(id) });
    await changeUnseen(id, 111);
    expect(await price(other, id)).not.toBe(111);

    const report = ok(await server.request(INVALIDATE, { entities: [{ type: 'Product', id: String(id) }] }, { token: adminToken })).invalidateCache;
    expect(report).toMatchObject({ purged: false, status: 'ACKNOWLEDGED', receivers: 3, acknowledged: 3 });
    expect(report.tags).toEqual(expect.arrayContaining([`Product:${id}`, `Product:${id}:reviews`, `Product:${id}:averageRating`]));
    expect(await price(server, id)).toBe(111);
    expect(await price(other, id)).toBe(111);
    const [row] = await outboxRows('id = ?', [report.eventId]);
    expect(row).toMatchObject({ type: 'CacheInvalidationRequested', tags: report.tags });
    await until(async () => (await outboxRows('id = ?', [report.eventId]))[0]!.published);
  });

  it('by tag, and by type (the whole cache: a new key generation everywhere)', async () => {
    const id = server.dataset.products[41]!.id;
    await warm([server, other], PRICE, { id: String(id) });
    await changeUnseen(id, 222);
    ok(await server.request(INVALIDATE, { tags: [`Product:${id}`] }, { token: adminToken }));
    expect(await price(other, id)).toBe(222);

    const generations = [server, other].map((instance) => instance.app.cacheLayer.cache!.keys.generation);
    const report = ok(await server.request(INVALIDATE, { types: ['Category'] }, { token: adminToken })).invalidateCache;
    expect(report).toMatchObject({ purged: true, tags: [], status: 'ACKNOWLEDGED' });
    [server, other].forEach((instance, i) => expect(instance.app.cacheLayer.cache!.keys.generation).toBeGreaterThan(generations[i]!));
  });

  it('refuses anonymous callers, customers, unknown types and empty requests', async () => {
    const customer = await server.login(11);
    const anonymous = await server.request(INVALIDATE, { tags: ['Product:1'] });
    expect(anonymous.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    const refused = await server.request(INVALIDATE, { tags: ['Product:1'] }, { token: customer });
    expect(refused.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    const unknown = await server.request(INVALIDATE, { types: ['Widget'] }, { token: adminToken });
    expect(unknown.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'types[0]' });
    expect(unknown.body.errors![0]!.message).toContain('Product, Category, User, Review, Order');
    const badEntity = await server.request(INVALIDATE, { entities: [{ type: 'Product', id: 'abc' }] }, { token: adminToken });
    expect(badEntity.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'entities[0].id' });
    const empty = await server.request(INVALIDATE, { tags: [] }, { token: adminToken });
    expect(empty.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const spaced = await server.request(INVALIDATE, { tags: ['Product: 1'] }, { token: adminToken });
    expect(spaced.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tags[0]' });
  });

  describe('POST /admin/cache/invalidate', () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      server.raw({
        path: '/admin/cache/invalidate',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    it('invalidates for an ADMIN bearer token, and answers the report', async () => {
      const id = server.dataset.products[42]!.id;
      await warm([server, other], PRICE, { id: String(id) });
      await changeUnseen(id, 333);
      const response = await post({ entities: [{ type: 'Product', id }] }, { authorization: `Bearer ${adminToken}` });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ purged: false, status: 'ACKNOWLEDGED', tags: expect.arrayContaining([`Product:${id}`]) });
      expect(await price(other, id)).toBe(333);
    });

    it('answers 401, 403, 400 and 415 with a GraphQL-shaped error', async () => {
      const customer = await server.login(12);
      const cases: [Response, number, string][] = [
        [await post({ tags: ['Product:1'] }), 401, 'UNAUTHENTICATED'],
        [await post({ tags: ['Product:1'] }, { authorization: `Bearer ${'x'.repeat(43)}` }), 401, 'UNAUTHENTICATED'],
        // The session cookie is not enough: a page could make a signed-in browser post it.
        [await post({ tags: ['Product:1'] }, { cookie: `sid=${adminToken}` }), 401, 'UNAUTHENTICATED'],
        [await post({ tags: ['Product:1'] }, { authorization: `Bearer ${customer}` }), 403, 'FORBIDDEN'],
        [await post({ types: ['Widget'] }, { authorization: `Bearer ${adminToken}` }), 400, 'BAD_USER_INPUT'],
        [await post({ tags: 'Product:1' }, { authorization: `Bearer ${adminToken}` }), 400, 'BAD_USER_INPUT'],
        [await post({ tag: ['Product:1'] }, { authorization: `Bearer ${adminToken}` }), 400, 'BAD_USER_INPUT'],
        [await post('{"tags": [', { authorization: `Bearer ${adminToken}` }), 400, 'BAD_REQUEST'],
        [await post('tags=Product:1', { authorization: `Bearer ${adminToken}`, 'content-type': 'application/x-www-form-urlencoded' }), 415, 'BAD_REQUEST'],
      ];
      for (const [response, status, code] of cases) {
        expect(response.status).toBe(status);
        const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
        expect(body.errors[0]!.extensions.code).toBe(code);
        expect(body.errors[0]!.message.length).toBeGreaterThan(10);
      }
      expect(cases[0]![0].headers.get('www-authenticate')).toBe('Bearer');
    });
  });
});
