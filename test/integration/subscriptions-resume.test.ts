/**
 * Resuming: a client that disconnects, misses events and subscribes again with the last id it
 * saw gets exactly what it missed, in order, then live events; an id no longer kept is refused
 * with EVENTS_EXPIRED. Also: a write made with plain SQL (a trigger's outbox row, published by
 * the relay) reaches productUpdated watchers.
 */
import { Client } from 'pg';
import { benchDocument } from '../helpers/documents';
import { liveClient, record, useLiveInstances } from '../helpers/live';
import type { TestInstance, TestServer } from '../helpers/server';
import { until } from '../helpers/until';

const live = useLiveInstances({
  label: 'subscriptions_resume',
  config: { OUTBOX_POLL_MS: '100', OUTBOX_PUBLISH_DELAY_MS: '300', LIVE_STREAM_MAXLEN: '5' },
});
let a: TestServer;
let b: TestInstance;
beforeAll(() => ({ a, b } = live));
const client = (instance: TestInstance) => live.client(instance);
const setPrice = (id: number, price: number) => live.setPrice(live.a, id, price);

const RESUMABLE = 'subscription ($id: ID!, $after: String) { productUpdated(id: $id, after: $after) { id priceCents } }';

it('a client that misses three events and resumes with its last id gets exactly those three, then live ones', async () => {
  const product = a.dataset.products[0]!;
  // Stays connected throughout: the events the other client misses are the ones it hears.
  const reference = record(client(a), RESUMABLE, { id: String(product.id) });
  const first = client(b);
  const before = record(first, RESUMABLE, { id: String(product.id) });
  await until(() => b.app.live.registry.readyCount === 1 && a.app.live.registry.readyCount === 1);
  await setPrice(product.id, 100);
  await before.waitFor(1);
  const lastId = before.payloads[0]!.extensions!.eventId!;
  await first.dispose();

  for (const price of [101, 102, 103]) await setPrice(product.id, price);

  const again = client(b);
  const resumed = record(again, RESUMABLE, { id: String(product.id), after: lastId });
  await resumed.waitFor(3);
  await reference.waitFor(4);
  const missed = reference.payloads.slice(1).map((payload) => payload.extensions!.eventId!);
  expect(resumed.payloads.map((payload) => payload.extensions!.eventId)).toEqual(missed);
  // Replayed payloads are resolved now, like a query: never older than their event.
  expect(resumed.payloads.map((payload) => payload.data.productUpdated.priceCents)).toEqual([103, 103, 103]);

  await setPrice(product.id, 104);
  await resumed.waitFor(4);
  await reference.waitFor(5);
  expect(resumed.payloads).toHaveLength(4);
  expect(resumed.payloads[3]).toEqual(reference.payloads[4]);
  expect(resumed.payloads[3]!.data.productUpdated.priceCents).toBe(104);

  // A resumed client shares the execution of everyone else watching the same document.
  const plain = record(again, RESUMABLE, { id: String(product.id) });
  await until(() => b.app.live.registry.readyCount === 2);
  expect(b.app.live.registry.distinctCount).toBe(1);
  plain.stop();
});

it('an id older than what is kept answers EVENTS_EXPIRED', async () => {
  const product = a.dataset.products[1]!;
  const baseline = b.app.live.registry.readyCount;
  const watcher = client(b);
  const live = record(watcher, RESUMABLE, { id: String(product.id) });
  await until(() => b.app.live.registry.readyCount === baseline + 1);
  await setPrice(product.id, 200);
  await live.waitFor(1);
  const oldest = live.payloads[0]!.extensions!.eventId!;
  // LIVE_STREAM_MAXLEN is 5: five more events push it out.
  for (let price = 201; price <= 205; price += 1) await setPrice(product.id, price);
  await live.waitFor(6);

  const kept = record(client(b), RESUMABLE, { id: String(product.id), after: live.payloads[1]!.extensions!.eventId! });
  await kept.waitFor(4);
  expect(kept.errors).toBeUndefined();
  const late = record(client(b), RESUMABLE, { id: String(product.id), after: oldest });
  await late.ended();
  expect(late.errors?.[0]?.extensions?.code).toBe('EVENTS_EXPIRED');
  expect(late.errors?.[0]?.message).toMatch(/refetch/i);
  const bogus = record(client(b), RESUMABLE, { id: String(product.id), after: 'yesterday' });
  await bogus.ended();
  expect(bogus.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
});

it('a price changed with plain SQL reaches productUpdated watchers (trigger row, published by the relay)', async () => {
  const product = a.dataset.products[2]!;
  const baseline = b.app.live.registry.readyCount;
  const watcher = client(b);
  const updates = record(watcher, benchDocument('product-updated'), { id: String(product.id) });
  await until(() => b.app.live.registry.readyCount === baseline + 1);
  const psql = new Client({ connectionString: a.config.databaseUrl });
  await psql.connect();
  try {
    await psql.query('update product set price_cents = 31337 where id = $1', [product.id]);
  } finally {
    await psql.end();
  }
  await updates.waitFor(1);
  expect(updates.payloads[0]!.data.productUpdated).toEqual(expect.objectContaining({ id: String(product.id), priceCents: 31337 }));
});

it('the graphql-ws client resumes by itself when `after` is kept up to date in the payload it re-sends (the README recipe)', async () => {
  const product = a.dataset.products[3]!;
  const reference = record(client(a), RESUMABLE, { id: String(product.id) });
  const retrying = liveClient(b.url, { retryAttempts: 5, retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)), shouldRetry: () => true });
  const request = { query: RESUMABLE, variables: { id: String(product.id), after: null as string | null } };
  const received: { eventId: string; price: number }[] = [];
  retrying.subscribe(request, {
    next: (result: any) => {
      request.variables.after = result.extensions?.eventId ?? request.variables.after;
      received.push({ eventId: result.extensions.eventId, price: result.data.productUpdated.priceCents });
    },
    error: () => undefined,
    complete: () => undefined,
  });
  await until(() => b.app.live.registry.readyCount === 1 && a.app.live.registry.readyCount === 1);
  await setPrice(product.id, 400);
  await until(() => received.length === 1);

  retrying.terminate();
  for (const price of [401, 402, 403]) await setPrice(product.id, price);
  await reference.waitFor(4);
  await until(() => received.length >= 4);
  await setPrice(product.id, 404);
  await reference.waitFor(5);
  await until(() => received.length >= 5);
  expect(received.map((event) => event.eventId)).toEqual(reference.payloads.map((payload) => payload.extensions!.eventId));
  expect(received.at(-1)!.price).toBe(404);
  await retrying.dispose();
});

it('an outbox row published twice (its writer, then a relay) reaches subscribers once', async () => {
  const product = a.dataset.products[4]!;
  const watcher = record(client(b), RESUMABLE, { id: String(product.id) });
  await until(() => b.app.live.registry.readyCount === 1);
  const row = (id: string) => ({
    id,
    type: 'ProductUpdated',
    payload: { type: 'ProductUpdated', productId: product.id, fields: ['priceCents'], categoryIds: [] },
    tags: null,
  });
  await a.app.live.publish([row('900000001')]);
  await b.app.live.publish([row('900000001')]);
  await a.app.live.publish([row('900000002')]);
  await watcher.waitFor(2);
  await setPrice(product.id, 77);
  await watcher.waitFor(3);
  // The third payload is the price change: the duplicate never arrived in between.
  expect(watcher.payloads).toHaveLength(3);
  expect(watcher.payloads[2]!.data.productUpdated.priceCents).toBe(77);
});

it('a product deleted with plain SQL reaches categoryChanged watchers as REMOVED', async () => {
  const category = a.dataset.categories[2]!;
  const changes = record(client(b), 'subscription ($id: ID!) { categoryChanged(id: $id) { kind productId product { id } } }', { id: String(category.id) });
  await until(() => b.app.live.registry.readyCount === 1);
  const created = await a.request(
    'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    { input: { sku: 'LIVE-DEL', name: 'Short-lived', priceCents: 1, categoryId: String(category.id) } },
    { token: live.adminToken },
  );
  const id = String(created.body.data.createProduct.id);
  await changes.waitFor(1);
  const psql = new Client({ connectionString: a.config.databaseUrl });
  await psql.connect();
  try {
    await psql.query('delete from product where id = $1', [Number(id)]);
  } finally {
    await psql.end();
  }
  await changes.waitFor(2);
  expect(changes.payloads.map((payload) => payload.data.categoryChanged)).toEqual([
    { kind: 'ADDED', productId: id, product: { id } },
    { kind: 'REMOVED', productId: id, product: null },
  ]);
});
