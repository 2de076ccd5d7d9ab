/**
 * `npm run bench:abuse`: does abusive traffic slow a well-behaved client down? Bounded (about
 * 40 s): starts the real server (production settings, a throwaway database seeded with the demo
 * dataset, the local Redis under a prefix of its own) in a process of its own, then measures a
 * well-behaved client (product pages at a steady `--rate` per second, signed out, spread over
 * 5,000 trusted-proxy addresses so no limit of its own applies) three times, for `--duration`
 * seconds each, the attackers running in a process of their own:
 *
 * 1. alone (the baseline);
 * 2. with attackers from one address: deep queries, alias bombs, cost bombs, 1 MB bodies,
 *    malformed JSON, 1,000-operation batches, failed sign-ins (the rate limit soon refuses them
 *    from memory);
 * 3. with the same attackers spread over 10,000 addresses, so no rate limit helps: each refusal
 *    is the query limits' or the body parser's.
 *
 * Reports p50/p99 per phase, and the attack's answers by status; exits 1 when the well-behaved
 * client saw an error (p99 past twice the baseline is reported, next to a flood of cheap valid
 * reads as the yardstick of what any flood costs on this machine). Writes
 * `bench/results/abuse.md`. Needs PostgreSQL and Redis on 127.0.0.1 (as the tests do).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { Client } from 'pg';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const DURATION = option('duration', 8);
const ATTACKERS = option('attackers', 8);
const RATE = option('rate', 200);
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : undefined;
const ROOT = path.resolve(__dirname, '..');
const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DB_NAME = `sf_bench_abuse_${process.pid}`;
const PREFIX = `bench-abuse-${process.pid}`;

const PRODUCT_PAGE = 'query ($id: ID!) { product(id: $id) { id name priceCents category { name } reviews(first: 5) { edges { node { rating author { name } } } } } }';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`);
    const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the server was not ready within 60 s');
}

const deep = (() => {
  let body = 'id';
  for (let i = 0; i < 40; i += 1) body = i % 2 === 1 ? `category { ${body} }` : `products(first: 1) { edges { node { ${body} } } }`;
  return JSON.stringify({ query: `{ product(id: "1") { ${body} } }` });
})();
const ATTACKS: { name: string; body: string }[] = [
  { name: 'deep', body: deep },
  { name: 'aliases', body: JSON.stringify({ query: `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: __typename`).join(' ')} }` }) },
  { name: 'cost', body: JSON.stringify({ query: '{ products(first: 100) { edges { node { reviews(first: 100) { edges { node { product { reviews(first: 100) { edges { node { id } } } } } } } } } } }' }) },
  { name: 'big body', body: JSON.stringify({ query: '{ categories { id } }', padding: 'x'.repeat(1024 * 1024) }) },
  { name: 'malformed', body: '{"query": "{ categories { id } }"' },
  { name: 'batch', body: JSON.stringify(Array.from({ length: 1000 }, () => ({ query: '{ categories { id } }' }))) },
  // Not an attack: a cheap valid read, the yardstick of what any flood costs on this machine.
  { name: 'cached read', body: JSON.stringify({ query: '{ categories { id name } }' }) },
  { name: 'failed sign-in', body: JSON.stringify({ query: 'mutation { login(email: "user2@example.com", password: "guess") { token } }' }) },
];

/** Attack loops (in this process) until `stop`; counts answers by status. */
function attackHere(url: string, spread: boolean, only: readonly string[] | undefined): { stop(): Promise<Record<string, number>> } {
  let running = true;
  const statuses: Record<string, number> = {};
  let n = 0;
  const loops = Array.from({ length: ATTACKERS }, async () => {
    while (running) {
      const chosen = only ? ATTACKS.filter((a) => only.includes(a.name)) : ATTACKS.filter((a) => a.name !== 'cached read');
      const which = chosen[n % chosen.length]!;
      n += 1;
      const address = spread ? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` : '192.0.2.66';
      const status = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address }, body: which.body }).then(
        async (r) => {
          await r.arrayBuffer().catch(() => undefined);
          return String(r.status);
        },
        () => 'failed',
      );
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

/** The attack in a child process (this file with `--attack`), so it never delays the measuring loop. */
function attack(url: string, spread: boolean, only: readonly string[] | undefined = ONLY): { stop(): Promise<Record<string, number>> } {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--attack', url, ...(spread ? ['--spread'] : []), '--attackers', String(ATTACKERS), ...(only ? ['--only', only.join(',')] : [])], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('message', (statuses) => {
          child.disconnect();
          resolve(statuses as Record<string, number>);
        });
        child.send('stop');
      }),
  };
}

async function wellBehaved(url: string, seconds: number) {
  let i = 0;
  let wrong = 0;
  const result = await autocannon({
    url,
    connections: 10,
    overallRate: RATE,
    duration: seconds,
    method: 'POST',
    requests: [
      {
        setupRequest: (request) => {
          i += 1;
          return {
            ...request,
            headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.${(i % 5000) >> 8}.${i % 256}` },
            body: JSON.stringify({ query: PRODUCT_PAGE, variables: { id: String((i % 40) + 1) } }),
          };
        },
        onResponse: (status, body) => {
          if (status !== 200 || body.includes('"errors"')) wrong += 1;
        },
      },
    ],
  });
  return { p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total, non2xx: result.non2xx, errors: result.errors + wrong };
}

async function main() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}/graphql`;
  await admin(`create database ${DB_NAME}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${DB_NAME}`;
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      AUDIT_LOG: 'off',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: dbUrl.toString(),
      SEED_ON_EMPTY: 'true',
      SEED_SIZE: 'demo',
      REDIS_URL,
      CACHE_KEY_PREFIX: PREFIX,
      TRUST_PROXY_HOPS: '1',
    },
  });
  const phases: { phase: string; wellBehaved: Awaited<ReturnType<typeof wellBehaved>>; attack?: Record<string, number> }[] = [];
  try {
    await waitReady(base, server);
    await wellBehaved(url, 2); // warm-up: caches, JIT
    phases.push({ phase: 'alone', wellBehaved: await wellBehaved(url, DURATION) });
    for (const [phase, spread, only] of [
      ['flood of cached reads, 10,000 addresses (yardstick)', true, ['cached read']],
      ['attacked, one address', false, ONLY],
      ['attacked, 10,000 addresses', true, ONLY],
    ] as const) {
      const attackers = attack(url, spread, only);
      const measured = await wellBehaved(url, DURATION);
      phases.push({ phase, wellBehaved: measured, attack: await attackers.stop() });
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    await admin(`drop database if exists ${DB_NAME} with (force)`);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }

  const baseline = phases[0]!.wellBehaved.p99;
  const rows = phases.map(({ phase, wellBehaved: w, attack: a }) =>
    `| ${phase} | ${w.requests} | ${w.p50} | ${w.p99} | ${(w.p99 / baseline).toFixed(2)} | ${w.non2xx + w.errors} | ${a ? Object.entries(a).map(([s, c]) => `${s}: ${c}`).join(', ') : ''} |`,
  );
  const failed = phases.some(({ wellBehaved: w }) => w.non2xx + w.errors > 0);
  const slowed = phases.filter(({ wellBehaved: w }) => w.p99 > 2 * baseline).map(({ phase }) => phase);
  const report = [
    `# Abuse benchmark (${new Date().toISOString().slice(0, 16)}Z, ${DURATION} s per phase, ${ATTACKERS} attack loops)`,
    '',
    `The well-behaved client: product pages at ${RATE} requests a second, signed out. Latency in ms.`,
    '',
    '| phase | requests | p50 | p99 | p99 / alone | errors | attack answers by status |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    failed ? '**Failed**: the well-behaved client saw errors.' : 'The well-behaved client saw no error.',
    '',
    slowed.length === 0 ? 'p99 stayed within twice its baseline throughout.' : `p99 went past twice its baseline: ${slowed.join('; ')}.`,
    'The yardstick phase floods the server with cheap valid reads (answered by the front door): on a shared 2-core machine,',
    'any flood from a process on the same machine costs the well-behaved client that much; compare the attacks with it.',
    '',
  ].join('\n');
  writeFileSync(path.join(ROOT, 'bench', 'results', 'abuse.md'), report);
  process.stdout.write(report);
  process.exitCode = failed ? 1 : 0;
}

if (args.includes('--attack')) {
  const attackers = attackHere(args[args.indexOf('--attack') + 1]!, args.includes('--spread'), ONLY);
  process.once('message', () => {
    void attackers.stop().then((statuses) => process.send!(statuses));
  });
} else main().catch((error: unknown) => {
  process.stderr.write(`abuse bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(2);
});
