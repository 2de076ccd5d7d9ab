/**
 * The audit log, written to a file of its own (AUDIT_LOG): one JSON line per sign-in, failed
 * sign-in, sign-out and mutation, with who, what, which entities and how it ended; and never a
 * password, a token or a cookie.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SEED_PASSWORD } from '../../src/db/seed/dataset';
import { benchDocument } from '../helpers/documents';
import { startTestServer, type TestServer } from '../helpers/server';

const dir = mkdtempSync(path.join(tmpdir(), 'sf-audit-'));
const auditFile = path.join(dir, 'nested', 'audit.log');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'audit', config: { AUDIT_LOG: auditFile } });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Line = Record<string, any>;
const lines = (): Line[] => readFileSync(auditFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Line);

const LOGIN = benchDocument('login');
const WRONG_PASSWORD = 'Hunter2-Secret!';

it('records sign-in, failed sign-in, a mutation and sign-out, with the right fields and no secrets', async () => {
  const signedIn = await server.request(LOGIN, { email: 'user1@example.com', password: SEED_PASSWORD });
  const adminToken = signedIn.body.data.login.token as string;
  const cookie = signedIn.headers.get('set-cookie')!;
  expect(cookie).toContain(adminToken);
  const failed = await server.request(LOGIN, { email: 'user2@example.com', password: WRONG_PASSWORD });
  expect(failed.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  const product = server.dataset.products[2]!;
  const updated = await server.request(benchDocument('update-price'), { id: String(product.id), priceCents: 4321 }, { token: adminToken });
  expect(updated.body.errors).toBeUndefined();
  const customerToken = await server.login(3);
  const forbidden = await server.request(benchDocument('update-price'), { id: String(product.id), priceCents: 1 }, { token: customerToken });
  expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  const out = await server.request('mutation SignOut { logout }', {}, { token: adminToken });
  expect(out.body.data).toEqual({ logout: true });

  const audit = lines();
  for (const line of audit) {
    expect(line).toMatchObject({ log: 'audit', level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(line.address).toMatch(/127\.0\.0\.1/);
    expect(line.requestId).toEqual(expect.any(String));
  }
  const events = audit.map((line) => `${line.event}${line.operationName ? ` ${line.operationName}` : ''}`);
  expect(events).toEqual([
    'sign-in',
    'mutation Login',
    'sign-in-failed',
    'mutation Login',
    'mutation UpdatePrice',
    'sign-in',
    'mutation',
    'mutation UpdatePrice',
    'sign-out',
    'mutation SignOut',
  ]);
  const [signIn, loginOk, signInFailed, loginFailed, update, , , refused, signOut, logout] = audit as Line[];
  expect(signIn).toMatchObject({ event: 'sign-in', userId: 1 });
  expect(loginOk).toMatchObject({ userId: 1, fields: ['login'], entities: [], outcome: 'ok' });
  expect(signInFailed).toMatchObject({ event: 'sign-in-failed', email: 'user2@example.com', code: 'UNAUTHENTICATED' });
  expect(loginFailed).toMatchObject({ userId: null, fields: ['login'], outcome: 'error', errorCodes: ['UNAUTHENTICATED'] });
  expect(update).toMatchObject({ userId: 1, fields: ['updateProduct'], entities: [`Product:${product.id}`], outcome: 'ok' });
  expect(update.errorCodes).toBeUndefined();
  expect(refused).toMatchObject({ userId: 3, entities: [], outcome: 'error', errorCodes: ['FORBIDDEN'] });
  expect(signOut).toMatchObject({ event: 'sign-out', userId: 1 });
  expect(logout).toMatchObject({ userId: 1, fields: ['logout'], entities: ['Session'], outcome: 'ok' });

  const text = readFileSync(auditFile, 'utf8');
  for (const secret of [WRONG_PASSWORD, `"${SEED_PASSWORD}"`, adminToken, customerToken, 'sid=', 'priceCents', '4321']) {
    expect([secret, text.includes(secret)]).toEqual([secret, false]);
  }
});
