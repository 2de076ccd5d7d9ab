/**
 * Purging the whole cache, by the admin mutation or the script: every instance moves to a new
 * key generation and empties its L1; Redis is never scanned.
 */
import { spawn } from 'node:child_process';
import Redis from 'ioredis';
import { benchDocument } from '../helpers/documents';
import { REPO_ROOT } from '../helpers/env';
import { startRedisServer, type ExtraRedis } from '../helpers/redis-server';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';

let a: TestServer;
let b: TestInstance;
let redis: Redis;
// A Redis of its own: its command statistics then count only this file's commands.
let server: ExtraRedis;
let redisUrl: string;

beforeAll(async () => {
  server = await startRedisServer();
  redisUrl = `redis://127.0.0.1:${server.port}`;
  a = await startTestServer({ label: 'purge', redis: true, config: { REDIS_URL: redisUrl } });
  b = await a.startInstance();
  redis = new Redis(redisUrl);
});
afterAll(async () => {
  await a?.stop();
  await redis?.quit();
  await server?.stop();
});

const cacheOf = (instance: TestInstance) => instance.app.cacheLayer.cache!;

async function scanningCommands(): Promise<number> {
  const stats = await redis.info('commandstats');
  return [...stats.matchAll(/cmdstat_(keys|scan):calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[2]), 0);
}

async function warm(): Promise<void> {
  await Promise.all([a.request(benchDocument('catalog')), b.request(benchDocument('catalog'))]);
  await Promise.all([cacheOf(a).settled(), cacheOf(b).settled()]);
  expect(await b.countSql(() => b.request(benchDocument('catalog')))).toBe(0);
}

describe('purgeCache', () => {
  it('is for admins only', async () => {
    const customer = await a.login(2);
    const response = await a.request('mutation { purgeCache }', {}, { token: customer });
    expect(response.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });

  it('empties every instance’s cache without scanning Redis', async () => {
    await warm();
    const scans = await scanningCommands();
    const admin = await a.login(1);
    const response = await a.request('mutation { purgeCache }', {}, { token: admin });
    expect(response.body.errors).toBeUndefined();
    const generation = response.body.data.purgeCache;
    expect(generation).toBeGreaterThan(0);
    expect(cacheOf(a).keys.generation).toBe(generation);
    expect(cacheOf(b).keys.generation).toBe(generation);
    expect(cacheOf(b).l1.size).toBe(0);
    // Cold again on the other instance: its answer is recomputed.
    expect(await b.countSql(() => b.request(benchDocument('catalog')))).toBeGreaterThan(0);
    expect(await scanningCommands()).toBe(scans);
  });

  it('works from the script too', async () => {
    await warm();
    const before = cacheOf(a).keys.generation;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/purge-cli.ts'], {
      cwd: REPO_ROOT,
      // The instances acknowledge within the tests' wait, not production's 500 ms.
      env: { PATH: process.env.PATH ?? '', REDIS_URL: redisUrl, CACHE_KEY_PREFIX: a.config.cacheKeyPrefix, NODE_ENV: 'test', CACHE_ACK_TIMEOUT_MS: '5000' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
    expect(output).toContain(`generation ${before + 1}; 2 of 2 instances acknowledged`);
    expect(cacheOf(b).keys.generation).toBe(before + 1);
    expect(await b.countSql(() => b.request(benchDocument('catalog')))).toBeGreaterThan(0);
    // A process that compiles TypeScript and builds the schema: 2 s idle, over 30 s crowded.
  }, 120_000);
});
