/**
 * Rate limits on a real Redis, with small limits and short windows: per address (in front of
 * the front door, so cached answers count too, and shared by the instances), per signed-in
 * user, and failed sign-ins per account (from any address) and per address; each refusal is a
 * 429 with `Retry-After` and RATE_LIMITED naming the limit, and each recovers once its window
 * has passed. With Redis cut, the limits fail open and /metrics says so.
 *
 * Clients are told apart by `X-Forwarded-For`, which the app reads only because these
 * instances trust one proxy hop (TRUST_PROXY_HOPS=1), as behind a load balancer.
 */
import { SEED_PASSWORD } from '../../src/db/seed/dataset';
import { TEST_REDIS_URL } from '../helpers/env';
import { startTestServer, type GraphQLResponse, type TestInstance, type TestServer } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { until } from '../helpers/until';

const WINDOW_SECONDS = 3;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    label: 'rate_limits',
    redis: true,
    config: {
      TRUST_PROXY_HOPS: '1',
      RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
      RATE_LIMIT_PER_ADDRESS: '5',
      LOGIN_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
      LOGIN_FAILURES_PER_ACCOUNT: '3',
      LOGIN_FAILURES_PER_ADDRESS: '4',
    },
  });
});
afterAll(() => server?.stop());

const CATEGORIES = '{ categories { id name } }';
const LOGIN = 'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { token } }';

const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

function signIn(instance: TestInstance, user: number, address: string, password = SEED_PASSWORD) {
  return instance.request(LOGIN, { email: `user${user}@example.com`, password }, from(address));
}

function expectRateLimited(response: GraphQLResponse, limit: string, message = /Try again in \d+ seconds?/) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(response.body.errors).toHaveLength(1);
  const error = response.body.errors![0]!;
  expect(error.message).toMatch(message);
  expect(error.message).toContain(`${retryAfter} second`);
  expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', limit, retryAfterSeconds: retryAfter });
}

async function metric(instance: TestInstance, name: string, limit: string): Promise<number> {
  const text = await (await instance.raw({ path: '/metrics' })).text();
  const match = new RegExp(`^${name}\\{limit="${limit}"\\} (\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

describe('per client address', () => {
  it('refuses the request over the limit with 429 and Retry-After, cached answers included; other addresses go on', async () => {
    // Stored by the response cache: what follows is answered by the front door.
    expect((await server.request(CATEGORIES, {}, from('10.0.0.1'))).status).toBe(200);
    for (let i = 0; i < 5; i += 1) {
      const response = await server.request(CATEGORIES, {}, from('10.0.0.2'));
      expect([i, response.status, response.body.errors]).toEqual([i, 200, undefined]);
    }
    expectRateLimited(await server.request(CATEGORIES, {}, from('10.0.0.2')), 'perAddress');
    // A mutation too: the limit sits in front of everything on /graphql.
    expectRateLimited(await signIn(server, 3, '10.0.0.2'), 'perAddress');
    expect((await server.request(CATEGORIES, {}, from('10.0.0.3'))).status).toBe(200);
    expect(await metric(server, 'storefront_rate_limited_total', 'perAddress')).toBeGreaterThanOrEqual(2);
  });

  it('is shared by the instances (counted in Redis)', async () => {
    const second = await server.startInstance();
    for (let i = 0; i < 3; i += 1) expect((await server.request(CATEGORIES, {}, from('10.0.1.1'))).status).toBe(200);
    for (let i = 0; i < 2; i += 1) expect((await second.request(CATEGORIES, {}, from('10.0.1.1'))).status).toBe(200);
    expectRateLimited(await second.request(CATEGORIES, {}, from('10.0.1.1')), 'perAddress');
  });

  it('recovers once the window has passed', async () => {
    for (let i = 0; i < 6; i += 1) await server.request(CATEGORIES, {}, from('10.0.2.1'));
    expectRateLimited(await server.request(CATEGORIES, {}, from('10.0.2.1')), 'perAddress');
    // Bounded: the window is 3 s; `until` gives up after 10.
    await until(async () => (await server.request(CATEGORIES, {}, from('10.0.2.1'))).status === 200);
  });
});

describe('per signed-in user', () => {
  it('counts a user\'s requests whatever their address, and refuses past the limit', async () => {
    const strict = await server.startInstance({ RATE_LIMIT_PER_USER: '3', RATE_LIMIT_PER_ADDRESS: '1000' });
    const signedIn = await signIn(strict, 3, '10.1.0.1');
    const token = signedIn.body.data.login.token as string;
    for (let i = 0; i < 3; i += 1) {
      const me = await strict.request('{ me { id } }', {}, { token, headers: { 'x-forwarded-for': `10.1.1.${i}` } });
      expect([i, me.status, me.body.errors]).toEqual([i, 200, undefined]);
    }
    const refused = await strict.request('{ me { id } }', {}, { token, headers: { 'x-forwarded-for': '10.1.1.9' } });
    expectRateLimited(refused, 'perUser');
    // Anonymous requests from the same address are not this user's.
    expect((await strict.request(CATEGORIES, {}, from('10.1.1.9'))).status).toBe(200);
  });
});

describe('failed sign-ins', () => {
  it('per account: three failures from three addresses lock the account, even for the right password', async () => {
    for (const address of ['10.2.0.1', '10.2.0.2', '10.2.0.3']) {
      const failed = await signIn(server, 4, address, 'wrong-password');
      expect(failed.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const locked = await signIn(server, 4, '10.2.0.4');
    expectRateLimited(locked, 'loginPerAccount', /Too many failed sign-ins\. Try again in \d+ seconds?/);
    expect(locked.body.data).toBeNull();
    // That address has no failures of its own: another account signs in from it.
    expect((await signIn(server, 6, '10.2.0.4')).body.data.login.token).toEqual(expect.any(String));
    await until(async () => (await signIn(server, 4, '10.2.0.5')).status === 200);
  });

  it('per account: a success resets the count', async () => {
    for (const round of [1, 2]) {
      for (const address of ['10.2.1.1', '10.2.1.2']) {
        const failed = await signIn(server, 5, address, 'wrong-password');
        expect([round, failed.body.errors?.[0]?.extensions?.code]).toEqual([round, 'UNAUTHENTICATED']);
      }
      const ok = await signIn(server, 5, '10.2.1.3');
      // Four failures in all, over the limit of three: only the reset lets these through.
      expect([round, ok.status, ok.body.errors]).toEqual([round, 200, undefined]);
    }
  });

  it('per address: failures against many accounts lock the address, not the accounts', async () => {
    for (const user of [7, 8, 9, 10]) {
      const failed = await signIn(server, user, '10.3.0.1', 'wrong-password');
      expect(failed.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expectRateLimited(await signIn(server, 11, '10.3.0.1'), 'loginPerAddress', /Too many failed sign-ins/);
    expect((await signIn(server, 11, '10.3.0.2')).status).toBe(200);
    expect(await metric(server, 'storefront_rate_limited_total', 'loginPerAddress')).toBeGreaterThanOrEqual(1);
  });
});

describe('with Redis cut', () => {
  let proxy: TcpProxy;
  afterAll(() => proxy?.close());

  it('the limits fail open, /metrics counts it, and they come back with Redis', async () => {
    const target = new URL(TEST_REDIS_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const instance = await server.startInstance({ REDIS_URL: proxy.url, RATE_LIMIT_PER_ADDRESS: '2', REDIS_COMMAND_TIMEOUT_MS: '100' });
    // Working through the proxy first: the limit trips.
    for (let i = 0; i < 2; i += 1) expect((await instance.request(CATEGORIES, {}, from('10.4.0.1'))).status).toBe(200);
    expect((await instance.request(CATEGORIES, {}, from('10.4.0.1'))).status).toBe(429);
    expect(await metric(instance, 'storefront_rate_limiter_unavailable_total', 'perAddress')).toBe(0);

    await proxy.cut();
    for (let i = 0; i < 6; i += 1) {
      const response = await instance.request(CATEGORIES, {}, from('10.4.0.2'));
      expect([i, response.status, response.body.errors]).toEqual([i, 200, undefined]);
    }
    // Sign-in still works too (its throttle fails open as well).
    expect((await signIn(instance, 12, '10.4.0.2')).status).toBe(200);
    expect(await metric(instance, 'storefront_rate_limiter_unavailable_total', 'perAddress')).toBeGreaterThanOrEqual(6);
    expect(await metric(instance, 'storefront_rate_limiter_unavailable_total', 'loginPerAccount')).toBeGreaterThanOrEqual(1);

    await proxy.restore();
    await until(async () => (await instance.request(CATEGORIES, {}, from('10.4.0.3'))).status === 429);
  });
});
