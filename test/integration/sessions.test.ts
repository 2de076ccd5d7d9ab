/**
 * Sessions read through the cache: a known token costs no SQL on any instance, and signing out
 * on one instance takes effect on every instance before `logout` answers.
 */
import { randomBytes } from 'node:crypto';
import { SEED_PASSWORD } from '../../src/db/seed/dataset';
import { hashToken } from '../../src/session/sessions';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';

let a: TestServer;
let b: TestInstance;

beforeAll(async () => {
  a = await startTestServer({ label: 'sessions', redis: true });
  b = await a.startInstance();
});
afterAll(async () => {
  await a?.stop();
});

// Resolving the viewer is the only database work this operation can cause.
const VIEWER = '{ __typename }';
const ME = '{ me { id } }';
const settled = (instance: TestInstance) => instance.app.cacheLayer.cache!.settled();

describe('sessions through the cache', () => {
  it('a known token costs one statement the first time, then none, on any instance', async () => {
    const token = await a.login(4);
    expect(await a.countSql(() => a.request(VIEWER, {}, { token }))).toBe(1);
    await settled(a);
    expect(await a.countSql(() => a.request(VIEWER, {}, { token }))).toBe(0);
    // B finds the session in Redis.
    expect(await b.countSql(() => b.request(VIEWER, {}, { token }))).toBe(0);
  });

  it('an unknown token is read from the table every time, never cached', async () => {
    const forged = randomBytes(32).toString('base64url');
    for (let i = 0; i < 3; i += 1) {
      let body: any;
      expect(await a.countSql(async () => (body = (await a.request(ME, {}, { token: forged })).body))).toBe(1);
      expect(body.data.me).toBeNull();
      await settled(a);
    }
  });

  it('after logout answers on one instance, the token is refused on both, every time', async () => {
    for (let round = 0; round < 10; round += 1) {
      const token = await a.login(5);
      // Both instances hold the session in their L1.
      for (const instance of [a, b]) expect((await instance.request(ME, {}, { token })).body.data.me).toEqual({ id: '5' });
      await Promise.all([settled(a), settled(b)]);
      // Each answers from its own L1: no statement on either (each instance counts its own).
      for (const instance of [a, b]) expect(await instance.countSql(() => instance.request(ME, {}, { token }))).toBe(0);

      const [writer, reader] = round % 2 === 0 ? [a, b] : [b, a];
      const out = await writer.request('mutation { logout }', {}, { token });
      expect(out.body.data.logout).toBe(true);
      for (const instance of [reader, writer]) {
        const after = await instance.request(ME, {}, { token });
        expect(after.body.data.me).toBeNull();
      }
    }
  });

  it('a cached session is not trusted past its expiry', async () => {
    const token = randomBytes(32).toString('base64url');
    const connection = a.database.orm.em.fork().getConnection();
    await connection.execute(`insert into session (id, user_id, created_at, expires_at) values (?, 6, now(), now() + interval '30 seconds')`, [
      hashToken(token),
    ]);
    expect((await a.request(ME, {}, { token })).body.data.me).toEqual({ id: '6' });
    await settled(a);
    expect(await a.countSql(() => a.request(VIEWER, {}, { token }))).toBe(0);
    // Thirty-one seconds later, for the database and for this process alike (no sleeping, so
    // a slow machine cannot make the first read come too late to be cached).
    await connection.execute(`update session set expires_at = expires_at - interval '31 seconds' where id = ?`, [hashToken(token)]);
    const realNow = Date.now;
    try {
      Date.now = () => realNow() + 31_000;
      expect((await a.request(ME, {}, { token })).body.data.me).toBeNull();
    } finally {
      Date.now = realNow;
    }
  });
});

describe('ending sessions in PostgreSQL (no session Redis)', () => {
  const CHANGE = 'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';

  it('logoutEverywhere ends every cached session of the user on both instances before it answers', async () => {
    const tokens = [await a.login(9), await b.login(9), await a.login(9)];
    const bystander = await a.login(10);
    // Every instance holds every session in its L1.
    for (const instance of [a, b]) for (const token of tokens) expect((await instance.request(ME, {}, { token })).body.data.me).toEqual({ id: '9' });
    await Promise.all([settled(a), settled(b)]);
    for (const instance of [a, b]) for (const token of tokens) expect(await instance.countSql(() => instance.request(VIEWER, {}, { token }))).toBe(0);

    const out = await b.request('mutation { logoutEverywhere }', {}, { token: tokens[0] });
    expect(out.body.data.logoutEverywhere).toBe(3);
    for (const instance of [a, b]) for (const token of tokens) expect((await instance.request(ME, {}, { token })).body.data.me).toBeNull();
    expect((await a.request(ME, {}, { token: bystander })).body.data.me).toEqual({ id: '10' });
    const left = await a.database.orm.em.fork().getConnection().execute('select count(*)::int as n from session where user_id = 9');
    expect(left[0].n).toBe(0);
  });

  it('changePassword keeps this session, ends the cached others on both instances, and refuses a wrong current password', async () => {
    const keep = await a.login(11);
    const other = await b.login(11);
    for (const instance of [a, b]) expect((await instance.request(ME, {}, { token: other })).body.data.me).toEqual({ id: '11' });
    await Promise.all([settled(a), settled(b)]);

    const wrong = await a.request(CHANGE, { c: 'not-the-password', n: 'another-password-2' }, { token: keep });
    expect(wrong.body.errors?.[0]?.extensions).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'currentPassword' }));
    expect(wrong.body.errors?.[0]?.message).toMatch(/enter the one you sign in with/);
    expect((await b.request(ME, {}, { token: other })).body.data.me).toEqual({ id: '11' });

    const changed = await a.request(CHANGE, { c: SEED_PASSWORD, n: 'another-password-2' }, { token: keep });
    expect(changed.body.data.changePassword).toBe(1);
    for (const instance of [a, b]) {
      expect((await instance.request(ME, {}, { token: other })).body.data.me).toBeNull();
      expect((await instance.request(ME, {}, { token: keep })).body.data.me).toEqual({ id: '11' });
    }
    const anonymous = await a.request(CHANGE, { c: SEED_PASSWORD, n: 'another-password-3' });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('signing in gives a new token and ends the one the request came with (no fixation)', async () => {
    const first = await a.login(12);
    const again = await a.request(
      'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { token } }',
      { email: 'user12@example.com', password: SEED_PASSWORD },
      { headers: { cookie: `sid=${first}` } },
    );
    const second = again.body.data.login.token as string;
    expect(second).not.toBe(first);
    expect((await a.request(ME, {}, { token: second })).body.data.me).toEqual({ id: '12' });
    for (const instance of [a, b]) expect((await instance.request(ME, {}, { token: first })).body.data.me).toBeNull();
  });
});
