/**
 * The benchmarked server: the real app (Express 5 + Apollo Server 5 over MikroORM/PostgreSQL),
 * wired as `src/server/bootstrap.ts` wires it, in a process of its own so the load generator
 * never shares its event loop. bench/run.ts starts it with `child_process.fork` and talks to it
 * over IPC only (messages in protocol.ts).
 *
 * Environment: DATABASE_URL (required; the driver has migrated and seeded it), and whatever
 * `loadConfig` reads (the driver sets NODE_ENV=production and LOG_LEVEL=warn). The server always
 * listens on a free port of 127.0.0.1. BENCH_PEER=apollo-response-cache serves the peer instead
 * of our cache (see peer.ts): the app with CACHE_ENABLED=false plus Apollo's response-cache
 * plugin on the Redis of BENCH_PEER_REDIS_URL, keys under the namespace BENCH_PEER_NAMESPACE.
 *
 * It stops on `{type:'stop'}`, and also by itself when the parent goes away, so a crashed
 * driver never leaves a server behind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Session } from 'node:inspector';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config';
import { createDatabase, type Database } from '../src/db/orm';
import { InProcessEventBus } from '../src/events/bus';
import { entities } from '../src/modules';
import { createApp, type App } from '../src/server/app';
import { createLogger } from '../src/server/logger';
import { createPeer, PEER_ID, type Peer } from './peer';
import type { DriverMessage, ServerMessage, ServerStats } from './protocol';

const RSS_SAMPLE_MS = 100;

function send(message: ServerMessage): void {
  if (process.connected) process.send!(message);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/server.ts runs as a child of bench/run.ts (fork with IPC)');
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
  const logger = createLogger(config);

  const database: Database = await createDatabase({
    clientUrl: config.databaseUrl,
    entities,
    poolMax: config.databasePoolMax,
  });
  const events = new InProcessEventBus({
    onHandlerError: (err, event) => logger.error({ err, event }, 'an event handler failed'),
  });
  let peer: Peer | undefined;
  if (process.env.BENCH_PEER) {
    if (process.env.BENCH_PEER !== PEER_ID) throw new Error(`BENCH_PEER must be ${PEER_ID}; got "${process.env.BENCH_PEER}"`);
    if (config.cacheEnabled) throw new Error('the peer replaces our cache: run it with CACHE_ENABLED=false');
    const redisUrl = process.env.BENCH_PEER_REDIS_URL;
    const namespace = process.env.BENCH_PEER_NAMESPACE;
    if (!redisUrl || !namespace) throw new Error('the peer needs BENCH_PEER_REDIS_URL and BENCH_PEER_NAMESPACE');
    peer = createPeer({ redisUrl, namespace });
  }
  const app: App = await createApp({ config, database, events, logger, apolloPlugins: peer?.plugins });

  // Requests counted at the server, so "statements per request" divides by the requests that
  // really ran, including those the load generator abandoned when its clock ran out. A request
  // is done when its handler ends the response: a closed socket alone does not stop a GraphQL
  // operation that is still loading, and its statements must land in the window that caused them.
  let handled = 0;
  let inFlight = 0;
  // Prepended: Express, the first listener, rewrites req.url to the part after its mount path.
  app.httpServer.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/graphql')) return;
    inFlight += 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight -= 1;
      handled += 1;
    };
    const end = res.end;
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      finish();
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
  });

  // Which tier answered our cache's hits: the cache counts hits, not where they came from, so
  // the bench listens in on its counters (benchmark-only; the product reports tiers in /metrics).
  // Likewise how often it stopped trusting its L1 (emptied it: subscriber connection lost).
  let l1Hits = 0;
  let l1Resets = 0;
  const cache = app.cacheLayer.cache;
  if (cache) {
    const lookup = cache.counters.lookup.bind(cache.counters);
    cache.counters.lookup = (source, tier, outcome) => {
      if (tier === 'l1' && outcome === 'hit') l1Hits += 1;
      lookup(source, tier, outcome);
    };
    const distrust = cache.distrustL1.bind(cache);
    cache.distrustL1 = () => {
      l1Resets += 1;
      distrust();
    };
  }

  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, RSS_SAMPLE_MS);
  sampler.unref();

  const stats = (): ServerStats => {
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const counters = app.cacheLayer.cache?.counters;
    return {
      sqlStatements: database.sql.total,
      // The cache's own count of Redis commands; no cache (CACHE_ENABLED=false) sends none.
      redisRoundTrips: peer ? peer.counters.redisRoundTrips : (counters?.redisRoundTrips ?? 0),
      cacheHits: peer ? peer.counters.hits : (counters?.hits ?? 0),
      cacheMisses: peer ? peer.counters.misses : (counters?.misses ?? 0),
      cacheStale: peer ? 0 : (counters?.stale ?? 0),
      cacheL1Hits: l1Hits,
      cacheErrors: peer ? peer.counters.errors : (counters?.errors ?? 0),
      l1Resets,
      requests: handled,
      inFlight,
      rss,
      peakRss,
      maxRss: process.resourceUsage().maxRSS * 1024,
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      eventLoopIdleMs: elu.idle,
      eventLoopActiveMs: elu.active,
    };
  };

  // CPU profiles of the measured windows only (the driver's --profile), through the inspector.
  let profiler: Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => profiler!.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  const startProfile = async () => {
    if (!profiler) {
      profiler = new Session();
      profiler.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
    }
    await post('Profiler.start');
  };
  const stopProfile = async (file: string) => {
    const { profile } = await post('Profiler.stop');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
  };

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(sampler);
      profiler?.disconnect();
      await app.stop();
      await peer?.close();
      await events.close();
      await database.close();
    })());

  process.on('message', (message: DriverMessage) => {
    if (message.type === 'stats') {
      send({ type: 'stats', ...stats() });
      if (message.resetPeak) peakRss = process.memoryUsage.rss();
    } else if (message.type === 'settle') {
      const settled = peer ? peer.settled() : (app.cacheLayer.cache?.settled() ?? Promise.resolve());
      settled.then(
        () => send({ type: 'settled' }),
        (err: unknown) => send({ type: 'failed', message: `settle failed: ${String(err)}` }),
      );
    } else if (message.type === 'profile-start') {
      startProfile().then(
        () => send({ type: 'profiling' }),
        (err: unknown) => send({ type: 'failed', message: `profile failed: ${String(err)}` }),
      );
    } else if (message.type === 'profile-stop') {
      stopProfile(message.file).then(
        () => send({ type: 'profiled', file: message.file }),
        (err: unknown) => send({ type: 'failed', message: `profile failed: ${String(err)}` }),
      );
    } else if (message.type === 'stop') {
      stop().then(
        () => {
          send({ type: 'stopped' });
          process.disconnect();
        },
        (err: unknown) => {
          send({ type: 'failed', message: `stop failed: ${String(err)}` });
          process.exit(1);
        },
      );
    }
  });
  // The parent died or closed the channel without asking: stop anyway, never linger.
  process.on('disconnect', () => {
    stop().finally(() => process.exit(0));
  });

  const url = await app.listen();
  send({ type: 'ready', url });
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
