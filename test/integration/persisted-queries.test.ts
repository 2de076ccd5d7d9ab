/**
 * Automatic persisted queries kept in Redis (a hash registered through one instance is known
 * to the others), registered-documents-only mode (the manifest's documents run, whole or by
 * hash; nothing else does, not even an answer the front door holds), and the command that
 * builds the manifest from a frontend's `.graphql` files.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { parse, print } from 'graphql';
import { sha256 } from '../../src/server/persisted-documents';
import { benchDocument, BENCH_DOCUMENTS } from '../helpers/documents';
import { REPO_ROOT, TEST_REDIS_URL, WORKLOAD_COPY_DIR } from '../helpers/env';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';

let server: TestServer;
let redis: Redis;
const dir = mkdtempSync(path.join(tmpdir(), 'sf-persisted-'));
const manifestPath = path.join(dir, 'manifest.json');

beforeAll(async () => {
  server = await startTestServer({ label: 'persisted', redis: true });
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await server?.stop();
  redis?.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends a request body as is (APQ bodies have no `query`). */
async function send(instance: TestInstance, body: unknown) {
  const response = await instance.raw({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

const byHash = (hash: string, variables: Record<string, unknown> = {}) => ({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });

describe('automatic persisted queries', () => {
  it('hash alone: PERSISTED_QUERY_NOT_FOUND; registered once, known to every instance through Redis', async () => {
    const query = '{ categories { id slug } }';
    const hash = sha256(query);
    const unknown = await send(server, byHash(hash));
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await send(server, { query, ...byHash(hash) });
    expect(registered.status).toBe(200);
    expect(registered.body.errors).toBeUndefined();
    const key = `${server.config.cacheKeyPrefix}:apq:${hash}`;
    expect(await redis.get(key)).toBe(query);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);

    const second = await server.startInstance();
    const known = await send(second, byHash(hash));
    expect(known.status).toBe(200);
    expect(known.body.errors).toBeUndefined();
    expect(known.body.data).toEqual(registered.body.data);
  });

  it('a hash that does not match its document is refused', async () => {
    const response = await send(server, { query: '{ categories { id } }', ...byHash(sha256('something else')) });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].message).toMatch(/provided sha does not match query/);
  });
});

describe('npm run persisted:manifest', () => {
  it('writes sha256 -> printed document for every operation of the files', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/server/persisted-manifest-cli.ts', '--out', manifestPath, path.relative(REPO_ROOT, WORKLOAD_COPY_DIR)],
      { cwd: REPO_ROOT },
    );
    expect(stdout).toMatch(/8 documents from 8 files/);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, string>;
    const expected = Object.fromEntries(BENCH_DOCUMENTS.map((name) => print(parse(benchDocument(name)))).map((doc) => [sha256(doc), doc]));
    expect(manifest).toEqual(expected);
  });
});

describe('registered documents only', () => {
  let locked: TestInstance;
  beforeAll(async () => {
    locked = await server.startInstance({ PERSISTED_DOCUMENTS_ONLY: 'true', PERSISTED_DOCUMENTS_MANIFEST: manifestPath });
  });

  it('runs a listed document sent whole, as its file holds it (comments included)', async () => {
    const response = await locked.request(benchDocument('catalog'), { first: 2 });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.products.edges).toHaveLength(2);
  });

  it('runs a listed document by its hash alone, never registered by APQ', async () => {
    const hash = sha256(print(parse(benchDocument('product-page'))));
    const response = await send(locked, byHash(hash, { id: '1' }));
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.product.id).toBe('1');
  });

  it('refuses anything else with PERSISTED_DOCUMENT_NOT_REGISTERED, whole, by hash, or over GET', async () => {
    const query = '{ categories { id name } }';
    const refusals = [
      await send(locked, { query }),
      await send(locked, byHash(sha256(query))),
      await (async () => {
        const response = await locked.raw({ path: `/graphql?query=${encodeURIComponent(query)}`, headers: { 'apollo-require-preflight': 'true' } });
        return { status: response.status, body: (await response.json()) as any };
      })(),
    ];
    for (const response of refusals) {
      expect(response.status).toBe(400);
      expect(response.body.errors).toHaveLength(1);
      expect(response.body.errors[0].extensions.code).toBe('PERSISTED_DOCUMENT_NOT_REGISTERED');
      expect(response.body.errors[0].message).toMatch(/runs only registered documents.*npm run persisted:manifest/);
    }
  });

  it('the front door does not answer an unlisted document, even with its answer stored', async () => {
    const query = '{ categories { id name slug } }';
    // Stored in the shared response tier (Redis) by an instance that runs anything.
    for (let i = 0; i < 2; i += 1) expect((await server.request(query)).body.errors).toBeUndefined();
    const other = await server.startInstance();
    const before = await other.countSql(() => other.request(query));
    // Answered from the stored response (no SQL): the front door would have answered it.
    expect(before).toBe(0);
    const refused = await locked.request(query);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_DOCUMENT_NOT_REGISTERED');
  });
});
