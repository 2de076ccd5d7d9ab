/**
 * Sessions read through the cache: a known token costs no SQL on any instance, and signing out
 * on one instance takes effect on every instance before `logout` answers.
 */
import { randomBytes } from 'node:crypto';
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
