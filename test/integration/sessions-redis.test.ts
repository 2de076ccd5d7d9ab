/**
 * Sessions in a Redis of their own (SESSION_REDIS_URL): a second redis-server for sessions and
 * a third for the cache, so the cache's can be flushed without touching other test files.
 * Two API instances share both. Covers the signed cookie and the bearer token naming one
 * session, no fixation, sliding and absolute expiry, a restart, a cache flush, and logout,
 * logoutEverywhere and changePassword taking effect on both instances before they answer
 * (tokens refused, private subscriptions ended, audit lines written).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { SEED_PASSWORD } from '../../src/db/seed/dataset';
import { hashToken } from '../../src/session/sessions';
import { liveClient, record, type LiveClient } from '../helpers/live';
import { startRedisServer, type ExtraRedis } from '../helpers/redis-server';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';
import { until } from '../helpers/until';

const dir = mkdtempSync(path.join(tmpdir(), 'sf-sessions-'));
const auditFile = path.join(dir, 'audit.log');
let sessionRedis: ExtraRedis;
let cacheRedis: ExtraRedis;
let sessionClient: Redis;
let cacheClient: Redis;
let a: TestServer;
let b: TestInstance;
const clients: LiveClient[] = [];

const SECRET = 'test-session-secret-0123456789abcdef';
const ME = '{ me { id } }';
const LOGIN = 'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { token expiresAt } }';

beforeAll(async () => {
  sessionRedis = await startRedisServer(['--maxmemory-policy', 'noeviction']);
  cacheRedis = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
  sessionClient = new Redis(sessionRedis.port, '127.0.0.1');
  cacheClient = new Redis(cacheRedis.port, '127.0.0.1');
  a = await startTestServer({
    label: 'sessions_redis',
    redis: true,
    config: {
      REDIS_URL: `redis://127.0.0.1:${cacheRedis.port}`,
      SESSION_REDIS_URL: `redis://127.0.0.1:${sessionRedis.port}`,
      SESSION_SECRET: SECRET,
      SESSION_TTL_SECONDS: '60',
      SESSION_ABSOLUTE_TTL_SECONDS: '120',
      AUDIT_LOG: auditFile,
    },
  });
  b = await a.startInstance({ AUDIT_LOG: 'off' });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});
afterAll(async () => {
  await a?.stop();
  sessionClient?.disconnect();
  cacheClient?.disconnect();
  await sessionRedis?.stop();
  await cacheRedis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const email = (n: number) => `user${n}@example.com`;
const keyOf = (token: string) => `${a.config.sessionKeyPrefix}:${hashToken(token)}`;

/** Signs in over HTTP as a browser would; answers the token and the `sid` cookie pair. */
async function browserLogin(instance: TestInstance, n: number, cookie?: string, password = SEED_PASSWORD) {
  const response = await instance.request(LOGIN, { email: email(n), password }, { headers: cookie ? { cookie } : {} });
  expect(response.body.errors).toBeUndefined();
  const setCookie = response.headers.get('set-cookie') ?? '';
  const pair = /sid=[^;]+/.exec(setCookie)?.[0];
  return { token: response.body.data.login.token as string, cookie: pair!, setCookie };
}

const meWithCookie = async (instance: TestInstance, cookie: string) => (await instance.request(ME, {}, { headers: { cookie } })).body.data.me;
const meWithToken = async (instance: TestInstance, token: string) => (await instance.request(ME, {}, { token })).body.data.me;

function sub(instance: TestInstance, token: string) {
  const client = liveClient(instance.url, { token });
  clients.push(client);
  return record(client, 'subscription { orderStatusChanged { id status } }');
}

describe('where sessions live', () => {
  it('in the session Redis under its prefix, by hash: no token in either Redis, nothing in the session table', async () => {
    const { token } = await browserLogin(a, 2);
    expect(await sessionClient.exists(keyOf(token))).toBe(1);
    expect(await sessionClient.sismember(`${a.config.sessionKeyPrefix}:user:2`, hashToken(token))).toBe(1);
    const [sessionKeys, cacheKeys] = await Promise.all([sessionClient.keys('*'), cacheClient.keys('*')]);
    for (const key of [...sessionKeys, ...cacheKeys]) expect(key).not.toContain(token);
    for (const key of sessionKeys) expect(key.startsWith(`${a.config.sessionKeyPrefix}:`)).toBe(true);
    const values = await sessionClient.mget(sessionKeys.filter((key) => !key.includes(':user:')));
    for (const value of values) expect(value).not.toContain(token);
    const rows = await a.database.orm.em.fork().getConnection().execute('select count(*)::int as n from session');
    expect(rows[0].n).toBe(0);
  });

  it('browsers get a signed HttpOnly SameSite=Lax cookie naming the same session as the bearer token, on either instance', async () => {
    const { token, cookie, setCookie } = await browserLogin(a, 3);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(cookie.startsWith(`sid=s%3A${token}.`)).toBe(true);
    for (const instance of [a, b]) {
      expect(await meWithCookie(instance, cookie)).toEqual({ id: '3' });
      expect(await meWithToken(instance, token)).toEqual({ id: '3' });
    }
    // The token alone as a cookie (unsigned) or with a forged signature is no session.
    expect(await meWithCookie(a, `sid=${token}`)).toBeNull();
    expect(await meWithCookie(a, `sid=s%3A${token}.AAAA`)).toBeNull();
  });

  it('signing in gives a new session id and ends the one the request came with (no fixation)', async () => {
    const first = await browserLogin(a, 4);
    const members = b.app.live.registry.readyCount;
    const orders = sub(b, first.token);
    await until(() => b.app.live.registry.readyCount === members + 1);
    const second = await browserLogin(b, 4, first.cookie);
    // The old session's private subscription ends with it.
    await orders.ended();
    expect(orders.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(second.token).not.toBe(first.token);
    expect(second.cookie).not.toBe(first.cookie);
    expect(await meWithCookie(a, first.cookie)).toBeNull();
    expect(await meWithToken(a, first.token)).toBeNull();
    expect(await meWithCookie(a, second.cookie)).toEqual({ id: '4' });
    // A cookie an attacker made up is not adopted: the session gets an id of its own.
    const planted = 'sid=s%3Aattacker-chosen-session-id-000000000.bad';
    const third = await browserLogin(a, 4, planted);
    expect(third.cookie).not.toContain('attacker-chosen');
  });
});

/** Calls of each command the session Redis ran while `run` ran. */
async function sessionCommands(run: () => Promise<unknown>): Promise<Record<string, number>> {
  await sessionClient.config('RESETSTAT');
  await run();
  const info = await sessionClient.info('commandstats');
  const counts: Record<string, number> = {};
  for (const match of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) if (!['config', 'info'].includes(match[1]!)) counts[match[1]!] = Number(match[2]);
  return counts;
}

describe('cost', () => {
  it('a signed-in request costs the session Redis one read and one renewal, by token or by cookie, and no SQL', async () => {
    const { token, cookie } = await browserLogin(a, 14);
    expect(await sessionCommands(() => meWithToken(b, token))).toEqual({ get: 1, expire: 1 });
    expect(await sessionCommands(() => meWithCookie(b, cookie))).toEqual({ get: 1, expire: 1 });
    expect(await sessionCommands(() => a.request('{ __typename }'))).toEqual({});
    // Resolving the viewer is the only work `{ __typename }` could cause: none reaches PostgreSQL.
    expect(await b.countSql(() => b.request('{ __typename }', {}, { token }))).toBe(0);
  });
});

describe('expiry', () => {
  it('slides: each request renews the TTL; an unused session ends', async () => {
    const token = await a.login(5);
    await sessionClient.expire(keyOf(token), 5);
    expect(await meWithToken(b, token)).toEqual({ id: '5' });
    expect(await sessionClient.ttl(keyOf(token))).toBeGreaterThan(50);
    await sessionClient.pexpire(keyOf(token), 1);
    await until(async () => (await sessionClient.exists(keyOf(token))) === 0);
    expect(await meWithToken(a, token)).toBeNull();
  });

  it('stops at the absolute limit, however active', async () => {
    const token = await a.login(6);
    const realNow = Date.now;
    try {
      // 100 s after sign-in: 20 s of the absolute 120 left, less than the sliding 60.
      Date.now = () => realNow() + 100_000;
      expect(await meWithToken(a, token)).toEqual({ id: '6' });
      const ttl = await sessionClient.ttl(keyOf(token));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(20);
      Date.now = () => realNow() + 121_000;
      expect(await meWithToken(a, token)).toBeNull();
    } finally {
      Date.now = realNow;
    }
    expect(await sessionClient.exists(keyOf(token))).toBe(0);
  });
});

describe('durability', () => {
  it('survives the instance that served it stopping: a new instance on the same Redis accepts the token and the cookie', async () => {
    const c = await a.startInstance({ AUDIT_LOG: 'off' });
    const { token, cookie } = await browserLogin(c, 7);
    expect(await meWithToken(c, token)).toEqual({ id: '7' });
    await c.stop();
    const d = await a.startInstance({ AUDIT_LOG: 'off' });
    expect(await meWithToken(d, token)).toEqual({ id: '7' });
    expect(await meWithCookie(d, cookie)).toEqual({ id: '7' });
    await d.stop();
    expect(await meWithToken(b, token)).toEqual({ id: '7' });
  });

  it('a cache purge and a FLUSHALL of the cache Redis end no session', async () => {
    const admin = await a.login(1);
    const token = await a.login(8);
    expect((await a.request('mutation { purgeCache }', {}, { token: admin })).body.errors).toBeUndefined();
    await cacheClient.flushall();
    for (const instance of [a, b]) expect(await meWithToken(instance, token)).toEqual({ id: '8' });
    expect(await meWithToken(a, admin)).toEqual({ id: '1' });
  });
});

describe('ending sessions', () => {
  it('logout ends this session on both instances before it answers, and its private subscription on the other', async () => {
    const token = await a.login(9);
    const other = await a.login(9);
    const members = b.app.live.registry.readyCount;
    const orders = sub(b, token);
    await until(() => b.app.live.registry.readyCount === members + 1);
    expect((await a.request('mutation { logout }', {}, { token })).body.data.logout).toBe(true);
    for (const instance of [a, b]) expect(await meWithToken(instance, token)).toBeNull();
    expect(await meWithToken(b, other)).toEqual({ id: '9' });
    await orders.ended();
    expect(orders.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('logoutEverywhere ends every session of the user on both instances, with racing requests refused once it answered', async () => {
    const tokens = [await a.login(10), await b.login(10), (await browserLogin(a, 10)).token];
    const bystander = await a.login(11);
    const members = b.app.live.registry.readyCount;
    const subs = [sub(b, tokens[0]!), sub(a, tokens[1]!)];
    await until(() => b.app.live.registry.readyCount === members + 1);
    await until(() => a.app.live.registry.readyCount >= 1);

    let answered = false;
    const racing: Promise<{ sentAfter: boolean; me: unknown }>[] = [];
    const race = (async () => {
      while (!answered) {
        for (const instance of [a, b]) {
          const sentAfter = answered;
          racing.push(meWithToken(instance, tokens[2]!).then((me) => ({ sentAfter, me })));
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const out = await b.request('mutation { logoutEverywhere }', {}, { token: tokens[0] });
    answered = true;
    await race;
    expect(out.body.data.logoutEverywhere).toBe(3);
    for (const token of tokens) for (const instance of [a, b]) expect(await meWithToken(instance, token)).toBeNull();
    for (const { sentAfter, me } of await Promise.all(racing)) if (sentAfter) expect(me).toBeNull();
    expect(await meWithToken(b, bystander)).toEqual({ id: '11' });
    await Promise.all(subs.map((s) => s.ended()));
    for (const s of subs) expect(s.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // One event per session, each dropping the user's PRIVATE entries.
    const rows = await a.database.orm.em
      .fork()
      .getConnection()
      .execute(`select tags from outbox_event where type = 'SessionEnded' and payload->>'userId' = '10'`);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.tags).toEqual(expect.arrayContaining(['User:10:orders', 'User:10:email']));
    // Not signed in: refused with UNAUTHENTICATED.
    const anonymous = await a.request('mutation { logoutEverywhere }');
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('changePassword checks the current password, keeps this session and ends the others on both instances', async () => {
    const keep = await a.login(12);
    const others = [await a.login(12), await b.login(12)];
    const members = b.app.live.registry.readyCount;
    const orders = sub(b, others[0]!);
    await until(() => b.app.live.registry.readyCount === members + 1);
    const CHANGE = 'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';

    const wrong = await a.request(CHANGE, { c: 'not-the-password', n: 'a-new-password-1' }, { token: keep });
    expect(wrong.body.errors?.[0]?.extensions).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'currentPassword' }));
    const short = await a.request(CHANGE, { c: SEED_PASSWORD, n: 'short' }, { token: keep });
    expect(short.body.errors?.[0]?.extensions).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'newPassword' }));
    for (const token of others) expect(await meWithToken(b, token)).toEqual({ id: '12' });

    const changed = await a.request(CHANGE, { c: SEED_PASSWORD, n: 'a-new-password-1' }, { token: keep });
    expect(changed.body.data.changePassword).toBe(2);
    for (const instance of [a, b]) {
      expect(await meWithToken(instance, keep)).toEqual({ id: '12' });
      for (const token of others) expect(await meWithToken(instance, token)).toBeNull();
    }
    await orders.ended();
    expect(orders.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const oldPassword = await a.request(LOGIN, { email: email(12), password: SEED_PASSWORD });
    expect(oldPassword.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await browserLogin(b, 12, undefined, 'a-new-password-1')).token).toEqual(expect.any(String));
  });

  it('writes audit lines for logoutEverywhere and changePassword, without passwords or tokens', async () => {
    const token = await a.login(13);
    await a.request('mutation { changePassword(currentPassword: "wrong-password", newPassword: "whatever-new-1") }', {}, { token });
    await a.request(`mutation { changePassword(currentPassword: "${SEED_PASSWORD}", newPassword: "whatever-new-1") }`, {}, { token });
    await a.request('mutation { logoutEverywhere }', {}, { token });
    const text = readFileSync(auditFile, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(hashToken(token));
    expect(text).not.toContain('whatever-new-1');
    // The seed password is a word of the service's name: no value is it.
    expect(text).not.toContain(`"${SEED_PASSWORD}"`);
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.userId === 13);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'password-change-failed', code: 'BAD_USER_INPUT' }),
        expect.objectContaining({ event: 'password-changed', sessionsEnded: 0 }),
        expect.objectContaining({ event: 'sign-out-everywhere', sessionsEnded: 1 }),
        expect.objectContaining({ event: 'mutation', fields: ['logoutEverywhere'], outcome: 'ok' }),
      ]),
    );
  });
});
