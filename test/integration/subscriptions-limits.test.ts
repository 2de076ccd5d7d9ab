/**
 * Bad input and limits on the WebSocket: each mistake is answered as graphql-transport-ws says
 * (an `error` message for the one subscription, or the socket closed with graphql-ws's close
 * code) while every other client goes on being served. Also the live metrics, and sockets
 * drained with 1001 when the server stops.
 */
import WebSocket from 'ws';
import { liveClient, record, wsUrl, type LiveClient, type Recording } from '../helpers/live';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';
import { until } from '../helpers/until';

let server: TestServer;
let adminToken: string;
let bystander: Recording;
const clients: LiveClient[] = [];
const WATCH = 'subscription ($id: ID!) { productUpdated(id: $id) { id priceCents } }';

beforeAll(async () => {
  server = await startTestServer({
    label: 'subscriptions_limits',
    config: { LIVE_CONNECTION_INIT_TIMEOUT_MS: '300', SUBSCRIPTIONS_PER_SOCKET_MAX: '3', LIVE_SOCKETS_PER_ADDRESS_MAX: '6' },
  });
  adminToken = await server.login(1);
  // Watches throughout: whatever other clients do, it keeps receiving.
  bystander = record(client(), WATCH, { id: String(server.dataset.products[0]!.id) });
  await until(() => server.app.live.registry.readyCount === 1);
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((made) => made.dispose()));
  await server?.stop();
});

function client(): LiveClient {
  const made = liveClient(server.url);
  clients.push(made);
  return made;
}

let price = 1000;
/** A write the bystander must hear: every test ends with it. */
async function bystanderStillServed() {
  const seen = bystander.payloads.length;
  price += 1;
  await server.request('mutation ($id: ID!, $p: Int!) { updateProduct(id: $id, input: { priceCents: $p }) { id } }', { id: String(server.dataset.products[0]!.id), p: price }, { token: adminToken });
  await bystander.waitFor(seen + 1);
  expect(bystander.payloads.at(-1)!.data.productUpdated.priceCents).toBe(price);
}

/** A raw socket speaking graphql-transport-ws, for what the real client never sends. */
function rawSocket(): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }>; messages: any[] }> {
  const socket = new WebSocket(wsUrl(server.url), 'graphql-transport-ws');
  const messages: any[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, closed, messages }));
    socket.once('error', reject);
  });
}

describe('answered with an error message, the socket goes on', () => {
  it.each([
    ['an unknown field', 'subscription { nothingHere { id } }', undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['a syntax error', 'subscription {', undefined, 'GRAPHQL_PARSE_FAILED'],
    ['invalid variables', WATCH, { id: { not: 'an id' } }, 'BAD_USER_INPUT'],
    ['a missing variable', WATCH, {}, 'BAD_USER_INPUT'],
    ['a bad id', WATCH, { id: 'abc' }, 'BAD_USER_INPUT'],
    ['a query (HTTP only)', '{ products(first: 1) { edges { cursor } } }', undefined, 'BAD_REQUEST'],
  ])('%s', async (_name, query, variables, code) => {
    const socket = client();
    const refused = record(socket, query, variables);
    await refused.ended();
    expect(refused.errors?.[0]?.extensions?.code).toBe(code);
    // The same socket still serves a good subscription.
    const fine = record(socket, WATCH, { id: String(server.dataset.products[0]!.id) });
    await until(() => server.app.live.registry.readyCount === 2);
    fine.stop();
    await until(() => server.app.live.registry.memberCount === 1);
    await bystanderStillServed();
  });

  it('an unknown operation name', async () => {
    const socket = await rawSocket();
    socket.socket.send(JSON.stringify({ type: 'connection_init' }));
    await until(() => socket.messages.some((message) => message.type === 'connection_ack'));
    socket.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: WATCH, operationName: 'Nope', variables: { id: '1' } } }));
    await until(() => socket.messages.some((message) => message.type === 'error'));
    expect(socket.messages.find((message) => message.type === 'error').payload[0].extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
    socket.socket.close();
    await bystanderStillServed();
  });

  it(`more than SUBSCRIPTIONS_PER_SOCKET_MAX on one socket: SUBSCRIPTION_LIMIT for the extra one only`, async () => {
    const socket = client();
    const ids = server.dataset.products.slice(1, 5).map((product) => String(product.id));
    const first = ids.slice(0, 3).map((id) => record(socket, WATCH, { id }));
    await until(() => server.app.live.registry.readyCount === 4);
    const extra = record(socket, WATCH, { id: ids[3] });
    await extra.ended();
    expect(extra.errors?.[0]?.extensions?.code).toBe('SUBSCRIPTION_LIMIT');
    expect(first.every((recording) => recording.errors === undefined)).toBe(true);
    first.forEach((recording) => recording.stop());
    await until(() => server.app.live.registry.memberCount === 1);
    await bystanderStillServed();
  });
});

describe('closed with graphql-ws close codes, others go on', () => {
  it('a malformed message: 4400', async () => {
    const socket = await rawSocket();
    socket.socket.send('this is not JSON');
    expect((await socket.closed).code).toBe(4400);
    await bystanderStillServed();
  });

  it('a message larger than LIVE_MAX_MESSAGE_BYTES: 1009', async () => {
    const socket = await rawSocket();
    socket.socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(70_000) } }));
    expect((await socket.closed).code).toBe(1009);
    await bystanderStillServed();
  });

  it('no connection_init in time (LIVE_CONNECTION_INIT_TIMEOUT_MS): 4408', async () => {
    const socket = await rawSocket();
    expect((await socket.closed).code).toBe(4408);
    await bystanderStillServed();
  });

  it('a subscribe before connection_ack: 4401; a second connection_init: 4429', async () => {
    const early = await rawSocket();
    early.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: WATCH, variables: { id: '1' } } }));
    expect((await early.closed).code).toBe(4401);
    const twice = await rawSocket();
    twice.socket.send(JSON.stringify({ type: 'connection_init' }));
    twice.socket.send(JSON.stringify({ type: 'connection_init' }));
    expect((await twice.closed).code).toBe(4429);
    await bystanderStillServed();
  });

  it('a second subscribe with an id in use: 4409, and its subscriptions end', async () => {
    const twice = await rawSocket();
    twice.socket.send(JSON.stringify({ type: 'connection_init' }));
    await until(() => twice.messages.some((message) => message.type === 'connection_ack'));
    const subscribe = { id: '1', type: 'subscribe', payload: { query: WATCH, variables: { id: String(server.dataset.products[0]!.id) } } };
    twice.socket.send(JSON.stringify(subscribe));
    await until(() => server.app.live.registry.memberCount === 2);
    twice.socket.send(JSON.stringify(subscribe));
    expect((await twice.closed).code).toBe(4409);
    await until(() => server.app.live.registry.memberCount === 1);
    await bystanderStillServed();
  });

  it('more sockets from one address than LIVE_SOCKETS_PER_ADDRESS_MAX: 4429 for the extra ones', async () => {
    // The bystander holds one of the six.
    const sockets = await Promise.all(Array.from({ length: 5 }, () => rawSocket()));
    const extra = await rawSocket();
    const closed = await extra.closed;
    expect(closed).toEqual({ code: 4429, reason: 'Too many connections from this address' });
    for (const socket of sockets) socket.socket.close();
    await Promise.all(sockets.map((socket) => socket.closed));
    await bystanderStillServed();
  });
});

it('a subscription sent over HTTP is refused with 400 BAD_REQUEST naming the WebSocket', async () => {
  const response = await server.request(WATCH, { id: '1' });
  expect(response.status).toBe(400);
  expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  expect(response.body.errors?.[0]?.message).toMatch(/WebSocket/);
});

it('/metrics shows sockets, subscriptions, distinct subscriptions, events, messages, executions and latency', async () => {
  await bystanderStillServed();
  const text = await (await server.raw({ path: '/metrics' })).text();
  expect(text).toMatch(/^storefront_live_sockets 1$/m);
  expect(text).toMatch(/^storefront_live_subscriptions 1$/m);
  expect(text).toMatch(/^storefront_live_distinct_subscriptions 1$/m);
  expect(text).toMatch(/^storefront_live_topics 1$/m);
  expect(text).toMatch(/^storefront_live_events_total\{kind="product"\} [1-9]/m);
  expect(text).toMatch(/^storefront_live_messages_total\{kind="product"\} [1-9]/m);
  expect(text).toMatch(/^storefront_live_resolutions_total\{kind="product"\} [1-9]/m);
  expect(text).toMatch(/^storefront_live_delivery_seconds_count [1-9]/m);
  expect(text).toMatch(/^storefront_live_refusals_total\{reason="sockets_per_address"\} 1$/m);
});

it('keep-alive (LIVE_KEEPALIVE_MS): a socket answering pings stays, one that does not is dropped', async () => {
  const instance: TestInstance = await server.startInstance({ LIVE_KEEPALIVE_MS: '100' });
  const open = (autoPong: boolean) => {
    const socket = new WebSocket(wsUrl(instance.url), 'graphql-transport-ws', { autoPong });
    const pings = { count: 0 };
    socket.on('ping', () => (pings.count += 1));
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    return { socket, pings, closed };
  };
  const answering = open(true);
  const silent = open(false);
  // Pinged, not answered, pinged again: dropped without a close frame (1006 on this side).
  expect(await silent.closed).toBe(1006);
  expect(silent.pings.count).toBeGreaterThanOrEqual(1);
  await until(() => answering.pings.count >= 3);
  expect(answering.socket.readyState).toBe(WebSocket.OPEN);
  answering.socket.close();
  await answering.closed;
  await instance.stop();
});

it('stopping the server closes live sockets with 1001 (going away)', async () => {
  const instance: TestInstance = await server.startInstance();
  const watcher = liveClient(instance.url);
  record(watcher, WATCH, { id: String(server.dataset.products[0]!.id) });
  await until(() => instance.app.live.registry.readyCount === 1);
  await instance.stop();
  await until(() => watcher.closes.length > 0);
  expect(watcher.closes[0]!.code).toBe(1001);
  await watcher.dispose();
});
