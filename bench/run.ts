/**
 * The load benchmark: `npm run bench [-- --quick | --duration 10 | --reseed | ...]`.
 *
 * Prepares the `sf_bench` database (created, migrated and loaded with the `bench` dataset when
 * it does not hold it yet), then for each mode forks the real server (bench/server.ts) and
 * drives each contract document at it with autocannon over 127.0.0.1: an unmeasured warm-up,
 * then a measured window. Every response body is checked (HTTP 200, no GraphQL `errors`, the
 * data asked for). The server reports its SQL statements, requests, memory and CPU over IPC.
 * Results go to bench/results/latest.md (and .json); everything stops by itself.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { createDatabase, migrate } from '../src/db/orm';
import { seed } from '../src/db/seed/seed';
import { DATASET_SIZES, SEED_PASSWORD } from '../src/db/seed/dataset';
import { entities } from '../src/modules';
import { hashPassword } from '../src/session/password';
import { MODES, type Mode } from './modes';
import type { DriverMessage, ServerMessage, ServerStats } from './protocol';
import { renderReport, type Measurement, type RunInfo } from './report';
import { cpuDelta, cpuSnapshot, machineDescription } from './system';
import { workloads, type Keys, type Workload } from './workloads';

const USAGE = `Usage: npm run bench -- [options]
  --quick             3 s per document, 1 s warm-up; writes bench/results/quick.md
  --duration <s>      measured seconds per document and mode (default 10)
  --warmup <s>        unmeasured warm-up seconds before each window (default 2)
  --connections <n>   concurrent connections (default 50)
  --modes <a,b>       modes to run (${MODES.map((m) => m.id).join(', ')}; default all)
  --documents <a,b>   documents to run (catalog, product-page; default all)
  --reseed            reload the bench dataset even if the database already holds it
  --out <file>        where to write the markdown (default bench/results/latest.md)
  --profile           write a V8 CPU profile of each server to bench/results/profiles/
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sf_bench),
             BENCH_POOL_MAX (server's DATABASE_POOL_MAX, default 10), SHARED_DIR.`;

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/sf_bench';
const RESULTS_DIR = path.join(__dirname, 'results');
const SERVER_START_TIMEOUT_MS = 60_000;
const IPC_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 15_000;

interface Options {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  modes: Mode[];
  documents: string[] | undefined;
  reseed: boolean;
  out: string;
  databaseUrl: string;
  poolMax: number;
  profile: boolean;
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number; got "${raw}"`);
  return value;
}

function parseOptions(): Options | undefined {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      modes: { type: 'string' },
      documents: { type: 'string' },
      reseed: { type: 'boolean', default: false },
      out: { type: 'string' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return undefined;
  }
  const modeIds = values.modes?.split(',').map((m) => m.trim());
  const modes = modeIds ? modeIds.map((id) => MODES.find((m) => m.id === id)) : [...MODES];
  if (modes.some((m) => m === undefined)) {
    throw new Error(`--modes takes ${MODES.map((m) => m.id).join(', ')}; got "${values.modes}"`);
  }
  return {
    durationSeconds: positive('duration', values.duration, values.quick ? 3 : 10),
    warmupSeconds: values.warmup === '0' ? 0 : positive('warmup', values.warmup, values.quick ? 1 : 2),
    connections: Math.round(positive('connections', values.connections, 50)),
    modes: modes as Mode[],
    documents: values.documents?.split(',').map((d) => d.trim()),
    reseed: values.reseed,
    out: path.resolve(values.out ?? path.join(RESULTS_DIR, values.quick ? 'quick.md' : 'latest.md')),
    databaseUrl: process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL,
    poolMax: Math.round(positive('BENCH_POOL_MAX', process.env.BENCH_POOL_MAX, 10)),
    profile: values.profile,
  };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// The database

interface PreparedDatabase extends Keys {
  postgresVersion: string;
}

async function prepareDatabase(url: string, reseed: boolean): Promise<PreparedDatabase> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected database name "${name}" in ${url}`);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
    throw new Error(`the benchmark only runs against a local PostgreSQL; got host ${target.hostname}`);
  }
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  let postgresVersion: string;
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      log(`creating database ${name}`);
      await admin.query(`create database ${name}`);
    }
    postgresVersion = `PostgreSQL ${(await admin.query('show server_version')).rows[0].server_version}`;
  } finally {
    await admin.end();
  }

  const database = await createDatabase({ clientUrl: url, entities, poolMax: 2 });
  try {
    await migrate(database.orm);
    const connection = database.orm.em.getConnection();
    const count = async (table: string) =>
      (await connection.execute<{ n: number }[]>(`select count(*)::int as n from ${table}`))[0]!.n;
    const expected = DATASET_SIZES.bench;
    const holdsBench = (await count('product')) === expected.products && (await count('review')) === expected.reviews;
    if (reseed || !holdsBench) {
      log(`loading the bench dataset into ${name}${reseed ? ' (--reseed)' : ''}`);
      const started = Date.now();
      await seed(database.orm, { size: 'bench', passwordHash: await hashPassword(SEED_PASSWORD) });
      // Fresh statistics for the planner, and no autovacuum kicking in during a measured window.
      await connection.execute('vacuum analyze');
      log(`loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } else {
      log(`reusing ${name}: it holds the bench dataset (--reseed to reload)`);
    }
    const ids = async (table: string) =>
      (await connection.execute<{ id: number }[]>(`select id from ${table} order by id`)).map((r) => Number(r.id));
    return { productIds: await ids('product'), categoryIds: await ids('category'), postgresVersion };
  } finally {
    await database.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The server process

interface ServerHandle {
  url: string;
  stats(resetPeak?: boolean): Promise<ServerStats>;
  /** Resolves once the server has no request in flight (abandoned ones included). */
  drained(): Promise<ServerStats>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

function startServer(mode: Mode, options: Options): Promise<ServerHandle> {
  const { databaseUrl, poolMax } = options;
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Nothing of the caller's service configuration leaks in: a mode states what it runs with.
  for (const name of Object.keys(env)) {
    if (/^(REDIS_|SESSION_REDIS_|CACHE_)/.test(name) || ['PORT', 'HOST', 'SEED_ON_EMPTY'].includes(name)) delete env[name];
  }
  Object.assign(env, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: String(poolMax),
    ...mode.env,
  });
  const execArgv = ['--import', 'tsx'];
  if (options.profile) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.join(RESULTS_DIR, 'profiles')}`);
  const child = fork(mode.entry, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));

  // One pending request of each kind at a time: the driver is sequential.
  let waiting: { type: ServerMessage['type']; resolve: (m: ServerMessage) => void } | undefined;
  let failWaiting: ((err: Error) => void) | undefined;
  let exited: Error | undefined;
  const expect = <T extends ServerMessage['type']>(type: T, timeoutMs: number) =>
    new Promise<Extract<ServerMessage, { type: T }>>((resolve, reject) => {
      if (exited) return reject(exited);
      const timer = setTimeout(() => reject(new Error(`server (${mode.id}) sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      waiting = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ServerMessage, { type: T }>);
        },
      };
      failWaiting = (err) => {
        clearTimeout(timer);
        reject(err);
      };
    });
  child.on('message', (message: ServerMessage) => {
    if (message.type === 'failed') {
      failWaiting?.(new Error(`server (${mode.id}) failed: ${message.message}`));
    } else if (waiting?.type === message.type) {
      const { resolve } = waiting;
      waiting = undefined;
      resolve(message);
    }
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`server (${mode.id}) exited (code ${code}, signal ${signal})`);
    failWaiting?.(exited);
  });
  const tell = (message: DriverMessage) => child.send(message);

  const stats = async (resetPeak = false): Promise<ServerStats> => {
    const reply = expect('stats', IPC_TIMEOUT_MS);
    tell({ type: 'stats', resetPeak });
    const { type: _type, ...rest } = await reply;
    return rest;
  };

  return expect('ready', SERVER_START_TIMEOUT_MS).then(({ url }) => ({
    url,
    stats,
    async drained() {
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      for (;;) {
        const current = await stats();
        if (current.inFlight === 0) return current;
        if (Date.now() > deadline) throw new Error(`server still has ${current.inFlight} requests in flight`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (exited) return;
      const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const stopped = expect('stopped', IPC_TIMEOUT_MS + 10_000).catch(() => undefined);
      tell({ type: 'stop' });
      await stopped;
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    },
  }));
}

// ---------------------------------------------------------------------------------------------
// Load

interface LoadResult {
  result: autocannon.Result;
  /** Connection errors, timeouts, GraphQL errors, unparsable bodies and wrong data. */
  errors: number;
  problems: string[];
  /** Responses whose body was parsed and checked (every response received). */
  checked: number;
  generatorCpuMicros: number;
}

async function load(url: string, workload: Workload, seconds: number, connections: number): Promise<LoadResult> {
  let next = 0;
  let errors = 0;
  let checked = 0;
  const problems: string[] = [];
  const note = (text: string) => {
    if (problems.length < 3 && !problems.includes(text)) problems.push(text);
  };
  const problem = (text: string) => {
    errors += 1;
    note(text);
  };
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        // Each request takes the next variables of the sequence; the per-connection context
        // remembers them so the response can be checked against what was asked.
        setupRequest: (request, context: any) => {
          const variables = workload.variables(next);
          next += 1;
          context.variables = variables;
          return { ...request, body: JSON.stringify({ query: workload.query, variables }) };
        },
        onResponse: (status, body, context: any) => {
          checked += 1;
          if (status !== 200) {
            note(`HTTP ${status}: ${body.slice(0, 200).trim()}`);
            return; // autocannon counts it as non-2xx
          }
          let parsed: any;
          try {
            parsed = JSON.parse(body);
          } catch {
            return problem(`unparsable body: ${body.slice(0, 200).trim()}`);
          }
          if (parsed.errors !== undefined) return problem(`GraphQL errors: ${JSON.stringify(parsed.errors).slice(0, 300)}`);
          const wrong = workload.check(parsed.data, context.variables ?? {});
          if (wrong) problem(wrong);
        },
      },
    ],
  });
  const cpu = process.cpuUsage(cpuBefore);
  if (result.errors > 0) {
    errors += result.errors;
    note(`${result.errors} connection errors (${result.timeouts} timeouts)`);
  }
  return { result, errors, problems, checked, generatorCpuMicros: cpu.user + cpu.system };
}

async function measure(server: ServerHandle, mode: Mode, workload: Workload, options: Options): Promise<Measurement> {
  if (mode.warmup && options.warmupSeconds > 0) {
    log(`${workload.document} (${mode.label}): ${options.warmupSeconds} s warm-up`);
    await load(server.url, workload, options.warmupSeconds, options.connections);
  }
  await mode.beforeMeasure?.();
  await server.drained();
  const before = await server.stats(true);
  const systemBefore = cpuSnapshot();
  log(`${workload.document} (${mode.label}): ${options.durationSeconds} s measured, ${options.connections} connections`);
  const run = await load(server.url, workload, options.durationSeconds, options.connections);
  const after = await server.drained();
  const system = cpuDelta(systemBefore, cpuSnapshot());

  const { result } = run;
  const seconds = result.duration;
  const serverRequests = after.requests - before.requests;
  const perServerRequest = (delta: number) => (serverRequests > 0 ? delta / serverRequests : 0);
  const serverCpuMicros =
    after.cpuUserMicros + after.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros;
  const loopActive = after.eventLoopActiveMs - before.eventLoopActiveMs;
  const loopIdle = after.eventLoopIdleMs - before.eventLoopIdleMs;
  return {
    mode: mode.label,
    document: workload.document,
    requests: result.requests.total,
    seconds,
    requestsPerSecond: result.requests.total / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    serverRequests,
    sqlPerRequest: perServerRequest(after.sqlStatements - before.sqlStatements),
    redisPerRequest:
      after.redisRoundTrips === null || before.redisRoundTrips === null
        ? null
        : perServerRequest(after.redisRoundTrips - before.redisRoundTrips),
    errors: run.errors,
    checkedBodies: run.checked,
    non2xx: result.non2xx,
    problems: run.problems,
    peakRssBytes: after.peakRss,
    serverCpuCores: serverCpuMicros / 1e6 / seconds,
    eventLoopBusy: loopActive + loopIdle > 0 ? loopActive / (loopActive + loopIdle) : 0,
    postgresCpuCores: system.postgresSeconds === undefined ? undefined : system.postgresSeconds / seconds,
    generatorCpuCores: run.generatorCpuMicros / 1e6 / seconds,
    machineBusy: system.machineBusy,
  };
}

// ---------------------------------------------------------------------------------------------

/** The commit measured, and which tracked files differed from it (untracked ones are not listed). */
function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.slice(3).trim())
      .filter(Boolean);
    if (changed.length === 0) return sha;
    const list = changed.length <= 5 ? changed.join(', ') : `${changed.length} files`;
    return `${sha}, with uncommitted changes to ${list}`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (!options) return;

  const prepared = await prepareDatabase(options.databaseUrl, options.reseed);
  const selected = workloads(prepared).filter((w) => !options.documents || options.documents.includes(w.document));
  if (selected.length === 0) throw new Error(`--documents matched nothing: ${options.documents?.join(',')}`);

  // A hard bound on the whole run, whatever hangs.
  const perWindow = options.durationSeconds + options.warmupSeconds + DRAIN_TIMEOUT_MS / 1000 + 5;
  const budgetMs = (options.modes.length * (selected.length * perWindow + SERVER_START_TIMEOUT_MS / 1000) + 30) * 1000;
  const watchdog = setTimeout(() => {
    log(`giving up: the run exceeded its ${Math.round(budgetMs / 1000)} s budget`);
    for (const child of children) child.kill('SIGKILL');
    process.exit(3);
  }, budgetMs);
  watchdog.unref();

  const results: Measurement[] = [];
  for (const mode of options.modes) {
    log(`starting the server (${mode.label})`);
    const server = await startServer(mode, options);
    try {
      for (const workload of selected) results.push(await measure(server, mode, workload, options));
    } finally {
      await server.stop();
    }
  }
  clearTimeout(watchdog);

  const machine = machineDescription();
  const info: RunInfo = {
    date: new Date(),
    ...machine,
    node: process.version,
    postgres: prepared.postgresVersion,
    commit: gitCommit(),
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    poolMax: options.poolMax,
    database: new URL(options.databaseUrl).pathname.slice(1),
    workloads: selected.map((w) => ({ document: w.document, description: w.description })),
  };
  const markdown = renderReport(info, results);
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${markdown}\n`);
  writeFileSync(options.out.replace(/\.md$/, '') + '.json', `${JSON.stringify({ info, results }, null, 2)}\n`);
  process.stdout.write(`${markdown}\n`);
  log(`written to ${path.relative(process.cwd(), options.out)}`);

  const failed = results.filter((r) => r.errors > 0 || r.non2xx > 0);
  if (failed.length > 0) {
    log(`FAILED: ${failed.map((r) => `${r.document} (${r.mode})`).join(', ')} had errors; see the report`);
    process.exitCode = 1;
  }
}

const interrupt = () => {
  for (const child of children) child.kill('SIGTERM');
  process.exit(130);
};
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
