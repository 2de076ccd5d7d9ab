/**
 * Private live updates: orderStatusChanged refuses anonymous sockets, delivers only the owner's
 * orders (whichever instance changed them), and ends when the session ends (on every instance)
 * or expires.
 * Also the mutations that drive it: updateOrderStatus (ADMIN) and cancelOrder (owner, PENDING).
 */
import { createHash } from 'node:crypto';
import { liveClient, record, useLiveInstances } from '../helpers/live';
import type { TestInstance, TestServer } from '../helpers/server';
import { until } from '../helpers/until';

const live = useLiveInstances({ label: 'subscriptions_private' });
const client = live.client;
let a: TestServer;
let b: TestInstance;
let adminToken: string;
beforeAll(() => ({ a, b, adminToken } = live));

const ORDER_CHANGES = 'subscription { orderStatusChanged { id status totalCents } }';

async function placeOrder(token: string, productIndex = 0): Promise<string> {
  const product = a.dataset.products[productIndex]!;
  const placed = await a.request(
    'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }',
    { input: { items: [{ productId: String(product.id), quantity: 1 }] } },
    { token },
  );
  expect(placed.body.errors).toBeUndefined();
  return String(placed.body.data.placeOrder.id);
}

async function setStatus(instance: TestInstance, id: string, status: string) {
  return instance.request('mutation ($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { id status } }', { id, status }, { token: adminToken });
}

it('refuses anonymous sockets with UNAUTHENTICATED', async () => {
  const anonymous = record(client(b), ORDER_CHANGES);
  await anonymous.ended();
  expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
});

it('delivers only the owner\'s orders, with the committed status, across instances', async () => {
  const [ownerToken, otherToken] = [await a.login(2), await a.login(3)];
  const mine = record(client(b, ownerToken), ORDER_CHANGES);
  const theirs = record(client(b, otherToken), ORDER_CHANGES);
  await until(() => b.app.live.registry.readyCount === 2);
  // Two users: two distinct subscriptions, though the document is the same.
  expect(b.app.live.registry.distinctCount).toBe(2);

  const ownOrder = await placeOrder(ownerToken);
  const otherOrder = await placeOrder(otherToken, 1);
  expect((await setStatus(a, ownOrder, 'PAID')).body.data.updateOrderStatus.status).toBe('PAID');
  await mine.waitFor(1);
  expect(mine.payloads[0]!.data.orderStatusChanged).toEqual(expect.objectContaining({ id: ownOrder, status: 'PAID' }));

  const cancelled = await a.request('mutation ($id: ID!) { cancelOrder(id: $id) { id status } }', { id: otherOrder }, { token: otherToken });
  expect(cancelled.body.data.cancelOrder.status).toBe('CANCELLED');
  await theirs.waitFor(1);
  expect(theirs.payloads[0]!.data.orderStatusChanged).toEqual(expect.objectContaining({ id: otherOrder, status: 'CANCELLED' }));
  expect(mine.payloads).toHaveLength(1);
  expect(theirs.payloads).toHaveLength(1);
});

it('cancelOrder: only the owner, only while PENDING, and the stock comes back; updateOrderStatus: ADMIN only, valid moves only', async () => {
  const ownerToken = await a.login(4);
  const product = a.dataset.products[2]!;
  const stockOf = async () => (await a.request('query ($id: ID!) { product(id: $id) { stock } }', { id: String(product.id) })).body.data.product.stock;
  const stockBefore = await stockOf();
  const order = await placeOrder(ownerToken, 2);
  expect(await stockOf()).toBe(stockBefore - 1);

  const stranger = await a.request('mutation ($id: ID!) { cancelOrder(id: $id) { id } }', { id: order }, { token: await a.login(5) });
  expect(stranger.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  const notAdmin = await a.request('mutation ($id: ID!) { updateOrderStatus(id: $id, status: PAID) { id } }', { id: order }, { token: ownerToken });
  expect(notAdmin.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

  const cancelled = await a.request('mutation ($id: ID!) { cancelOrder(id: $id) { status } }', { id: order }, { token: ownerToken });
  expect(cancelled.body.data.cancelOrder.status).toBe('CANCELLED');
  expect(await stockOf()).toBe(stockBefore);
  // The owner's cached order list shows the new status (its tag was dropped).
  const listed = await a.request('{ me { orders(first: 5) { edges { node { id status } } } } }', {}, { token: ownerToken });
  expect(listed.body.data.me.orders.edges).toContainEqual({ node: { id: order, status: 'CANCELLED' } });

  const twice = await a.request('mutation ($id: ID!) { cancelOrder(id: $id) { status } }', { id: order }, { token: ownerToken });
  expect(twice.body.errors?.[0]?.extensions).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'INVALID_TRANSITION' }));
  expect((await setStatus(a, order, 'SHIPPED')).body.errors?.[0]?.extensions?.reason).toBe('INVALID_TRANSITION');
});

it('ends private subscriptions when the session ends (logout through another instance); public ones go on', async () => {
  const token = await a.login(6);
  const members = b.app.live.registry.readyCount;
  const socket = client(b, token);
  const orders = record(socket, ORDER_CHANGES);
  const product = record(socket, 'subscription ($id: ID!) { productUpdated(id: $id) { id } }', { id: String(a.dataset.products[0]!.id) });
  await until(() => b.app.live.registry.readyCount === members + 2);

  const out = await a.request('mutation { logout }', {}, { token });
  expect(out.body.data.logout).toBe(true);
  await orders.ended();
  expect(orders.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(product.errors).toBeUndefined();

  // The socket is anonymous now: private subscriptions are refused on it.
  const again = record(socket, ORDER_CHANGES);
  await again.ended();
  expect(again.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
});

it('accepts the session cookie of the upgrade request, and refuses a bad token (4403)', async () => {
  const token = await a.login(7);
  const members = b.app.live.registry.readyCount;
  const cookieClient = liveClient(b.url, { headers: { cookie: `sid=${token}` } });
  const orders = record(cookieClient, ORDER_CHANGES);
  await until(() => b.app.live.registry.readyCount === members + 1);
  expect(orders.errors).toBeUndefined();
  orders.stop();

  const bad = client(b, 'x'.repeat(40));
  const refused = record(bad, ORDER_CHANGES);
  await refused.ended().catch(() => undefined);
  await until(() => bad.closes.length > 0);
  expect(bad.closes[0]!.code).toBe(4403);
  await cookieClient.dispose();
});

it('ends private subscriptions when the session expires', async () => {
  const token = await a.login(8);
  // Runs out three seconds from now (as if signed in a week ago).
  await a.database.orm.em.getConnection().execute(`update session set expires_at = now() + interval '3 seconds' where id = ?`, [
    createHash('sha256').update(token).digest('hex'),
  ]);
  const members = b.app.live.registry.readyCount;
  const orders = record(client(b, token), ORDER_CHANGES);
  await until(() => b.app.live.registry.readyCount === members + 1);
  await orders.ended();
  expect(orders.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
});
