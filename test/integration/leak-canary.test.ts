/**
 * Leak canary: several users signed in (sessions in their own Redis) on two instances, a mixed
 * run of a few hundred requests (their own page, orders, product pages, the catalog, new
 * orders), then: no answer names another user's email or orders, no anonymous answer names
 * anyone's, and no field or response entry under a public cache key (no `:u<id>`) holds an
 * email or an order; a user's own entries hold only theirs. Then the same with a cold cache
 * and every user asking at the same moment, a few times over.
 */
import Redis from 'ioredis';
import { benchDocument } from '../helpers/documents';
import { startRedisServer, type ExtraRedis } from '../helpers/redis-server';
import { startTestServer, type GraphQLResponse, type TestInstance, type TestServer } from '../helpers/server';

let sessionRedis: ExtraRedis;
let cacheRedis: ExtraRedis;
let cacheClient: Redis;
let a: TestServer;
let b: TestInstance;

const USERS = [20, 21, 22, 23, 24, 25];
const email = (n: number) => `user${n}@example.com`;
const tokens = new Map<number, string>();
/** Every order id of each user (seeded and placed during the run). */
const ordersOf = new Map<number, Set<string>>();
let adminToken: string;

const ME = benchDocument('me');
const PRODUCT_PAGE = benchDocument('product-page');
const CATALOG = benchDocument('catalog');
const PLACE = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';

beforeAll(async () => {
  sessionRedis = await startRedisServer(['--maxmemory-policy', 'noeviction']);
  cacheRedis = await startRedisServer();
  cacheClient = new Redis(cacheRedis.port, '127.0.0.1');
  a = await startTestServer({
    label: 'leak_canary',
    redis: true,
    config: {
      REDIS_URL: `redis://127.0.0.1:${cacheRedis.port}`,
      SESSION_REDIS_URL: `redis://127.0.0.1:${sessionRedis.port}`,
      SESSION_SECRET: 'leak-canary-secret-0123456789abcdef',
    },
  });
  b = await a.startInstance();
  adminToken = await a.login(1);
  for (const [i, user] of USERS.entries()) tokens.set(user, await (i % 2 ? b : a).login(user));
  const rows = await a.database.orm.em
    .fork()
    .getConnection()
    .execute<{ id: number; user_id: number }[]>(`select id, user_id from customer_order where user_id in (${USERS.join(', ')})`);
  for (const user of USERS) ordersOf.set(user, new Set());
  for (const row of rows) ordersOf.get(row.user_id)!.add(String(row.id));
});
afterAll(async () => {
  await a?.stop();
  cacheClient?.disconnect();
  await sessionRedis?.stop();
  await cacheRedis?.stop();
});

/** Fails if `body`, the answer `user` (or anonymous, when undefined) got, shows anyone else's data. */
function checkAnswer(body: GraphQLResponse['body'], user: number | undefined) {
  const text = JSON.stringify(body);
  for (const other of USERS) if (other !== user) expect(text).not.toContain(email(other));
  const me = (body.data as { me?: { id: string; email: string; orders: { edges: { node: { id: string } }[] } } } | undefined)?.me;
  if (user === undefined) {
    expect(me ?? null).toBeNull();
    expect(text).not.toContain('@example.com');
    return;
  }
  if (me === undefined) return;
  expect(me.id).toBe(String(user));
  expect(me.email).toBe(email(user));
  for (const edge of me.orders.edges) expect(ordersOf.get(user)!.has(edge.node.id)).toBe(true);
}

async function ask(instance: TestInstance, user: number | undefined, step: number): Promise<void> {
  const token = user === undefined ? undefined : tokens.get(user);
  const product = a.dataset.products[step % 6]!;
  const kind = user === undefined ? step % 2 : step % 4;
  if (kind === 3 && step % 5 === 0) {
    const placed = await instance.request(PLACE, { input: { items: [{ productId: String(product.id), quantity: 1 }] } }, { token });
    expect(placed.body.errors).toBeUndefined();
    ordersOf.get(user!)!.add(String(placed.body.data.placeOrder.id));
    return;
  }
  const [query, variables] =
    kind === 0 ? [PRODUCT_PAGE, { id: String(product.id) }] : kind === 1 ? [CATALOG, { first: 10 }] : [ME, {}];
  const answer = await instance.request(query, variables, { token });
  expect(answer.body.errors).toBeUndefined();
  checkAnswer(answer.body, user);
}

async function checkCacheRedis() {
  await Promise.all([a.app.cacheLayer.cache!.settled(), b.app.cacheLayer.cache!.settled()]);
  const keys = await cacheClient.keys('*');
  const entries = keys.filter((key) => /:g\d+:[fr]:/.test(key));
  expect(entries.length).toBeGreaterThan(20);
  const values = await cacheClient.mget(entries);
  let privateEntries = 0;
  entries.forEach((key, i) => {
    const value = values[i] ?? '';
    const owner = /:u(\d+)$/.exec(key)?.[1];
    if (owner === undefined) {
      // Public: nobody's email, nobody's orders.
      expect(value).not.toContain('@example.com');
      expect(value).not.toContain('totalCents');
      expect(key).not.toMatch(/:f:(User\.(email|orders)|Order\.)/);
      return;
    }
    privateEntries += 1;
    for (const other of USERS) if (String(other) !== owner) expect(value).not.toContain(email(other));
  });
  expect(privateEntries).toBeGreaterThan(0);
}

it('a mixed run of several signed-in users leaks nothing between them, nor into public entries', async () => {
  const everyone: (number | undefined)[] = [...USERS, undefined];
  const jobs: (() => Promise<void>)[] = [];
  for (let step = 0; step < 300; step += 1) {
    const user = everyone[step % everyone.length];
    const instance = step % 3 === 0 ? b : a;
    jobs.push(() => ask(instance, user, step));
  }
  // Twelve at a time: concurrent enough to interleave users, bounded for a shared machine.
  for (let i = 0; i < jobs.length; i += 12) await Promise.all(jobs.slice(i, i + 12).map((job) => job()));
  await checkCacheRedis();
});

it('users asking at the same moment with a cold cache each get their own page, every time', async () => {
  for (let round = 0; round < 4; round += 1) {
    expect((await a.request('mutation { purgeCache }', {}, { token: adminToken })).body.errors).toBeUndefined();
    await cacheClient.flushall();
    const answers = await Promise.all(
      [a, b].flatMap((instance) => USERS.map(async (user) => ({ user, body: (await instance.request(ME, {}, { token: tokens.get(user) })).body }))),
    );
    for (const { user, body } of answers) {
      expect(body.errors).toBeUndefined();
      checkAnswer(body, user);
    }
  }
  await checkCacheRedis();
});
