/**
 * Resuming: a client that disconnects, misses events and subscribes again with the last id it
 * saw gets exactly what it missed, in order, then live events; an id no longer kept is refused
 * with EVENTS_EXPIRED. Also: a write made with plain SQL (a trigger's outbox row, published by
 * the relay) reaches productUpdated watchers.
 */
import { Client } from 'pg';
import { benchDocument } from '../helpers/documents';
import { liveClient, record, type LiveClient } from '../helpers/live';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';
import { until } from '../helpers/until';

let a: TestServer;
let b: TestInstance;
let adminToken: string;
const clients: LiveClient[] = [];

beforeAll(async () => {
  a = await startTestServer({
    label: 'subscriptions_resume',
    redis: true,
    config: { OUTBOX_POLL_MS: '100', OUTBOX_PUBLISH_DELAY_MS: '300', LIVE_STREAM_MAXLEN: '5' },
  });
  b = await a.startInstance();
  adminToken = await a.login(1);
}, 60_000);
// Every test starts with no subscription anywhere: counts taken in it are its own.
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await until(() => a.app.live.registry.memberCount === 0 && b.app.live.registry.memberCount === 0);
});
afterAll(async () => {
  await a?.stop();
});

function client(instance: TestInstance): LiveClient {
  const made = liveClient(instance.url);
  clients.push(made);
  return made;
}

async function setPrice(id: number, price: number) {
  const result = await a.request(
    'mutation ($id: ID!, $price: Int!) { updateProduct(id: $id, input: { priceCents: $price }) { id } }',
    { id: String(id), price },
    { token: adminToken },
  );
  expect(result.body.errors).toBeUndefined();
}

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
