/**
 * The benchmarked server: the real app (Express 5 + Apollo Server 5 over MikroORM/PostgreSQL),
 * wired as `src/server/bootstrap.ts` wires it, in a process of its own so the load generator
 * never shares its event loop. bench/run.ts starts it with `child_process.fork` and talks to it
 * over IPC only (child.ts, messages in protocol.ts).
 *
 * Environment: DATABASE_URL (required; the driver has migrated and seeded it), and whatever
 * `loadConfig` reads (the driver sets NODE_ENV=production and LOG_LEVEL=warn; CACHE_ENABLED=false
 * for the "cache off" mode). The server always listens on a free port of 127.0.0.1.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { loadConfig } from '../src/config';
import { createDatabase } from '../src/db/orm';
import { InProcessEventBus } from '../src/events/bus';
import { entities } from '../src/modules';
import { createApp } from '../src/server/app';
import { createLogger } from '../src/server/logger';
import { serveBench } from './child';

/**
 * Requests to `prefix` counted at the HTTP server, so "per request" figures divide by the
 * requests that really ran, including those the load generator abandoned when its clock ran
 * out. A request is done when its handler ends the response: a closed socket alone does not
 * stop a GraphQL operation that is still loading, and its statements must land in the window
 * that caused them.
 */
function countRequests(httpServer: Server, prefix = '/graphql'): { handled: number; inFlight: number } {
  const count = { handled: 0, inFlight: 0 };
  // Prepended: a framework listening first (Express) may rewrite req.url.
  httpServer.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith(prefix)) return;
    count.inFlight += 1;
    let done = false;
    const end = res.end;
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      if (!done) {
        done = true;
        count.inFlight -= 1;
        count.handled += 1;
      }
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
  });
  return count;
}

serveBench(async () => {
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
  const logger = createLogger(config);

  const database = await createDatabase({ clientUrl: config.databaseUrl, entities, poolMax: config.databasePoolMax });
  const events = new InProcessEventBus({
    onHandlerError: (err, event) => logger.error({ err, event }, 'an event handler failed'),
  });
  const app = await createApp({ config, database, events, logger });
  const requests = countRequests(app.httpServer);

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

  const url = await app.listen();
  return {
    url,
    counters: () => {
      const counters = cache?.counters;
      return {
        sqlStatements: database.sql.total,
        // The cache's own count of Redis commands; no cache (CACHE_ENABLED=false) sends none.
        redisRoundTrips: counters?.redisRoundTrips ?? 0,
        cacheHits: counters?.hits ?? 0,
        cacheMisses: counters?.misses ?? 0,
        cacheStale: counters?.stale ?? 0,
        cacheL1Hits: l1Hits,
        cacheErrors: counters?.errors ?? 0,
        l1Resets,
        requests: requests.handled,
        inFlight: requests.inFlight,
        subscriptionExecutions: app.live.registry.resolutions,
      };
    },
    settled: () => cache?.settled() ?? Promise.resolve(),
    stop: async () => {
      await app.stop();
      await events.close();
      await database.close();
    },
  };
});
