/**
 * The benchmarked server: the real app (Express 5 + Apollo Server 5 over MikroORM/PostgreSQL),
 * wired as `src/server/bootstrap.ts` wires it, in a process of its own so the load generator
 * never shares its event loop. bench/run.ts starts it with `child_process.fork` and talks to it
 * over IPC only (messages in protocol.ts).
 *
 * Environment: DATABASE_URL (required; the driver has migrated and seeded it), and whatever
 * `loadConfig` reads (the driver sets NODE_ENV=production and LOG_LEVEL=warn). The server always
 * listens on a free port of 127.0.0.1.
 *
 * It stops on `{type:'stop'}`, and also by itself when the parent goes away, so a crashed
 * driver never leaves a server behind.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config';
import { createDatabase, type Database } from '../src/db/orm';
import { InProcessEventBus } from '../src/events/bus';
import { entities } from '../src/modules';
import { createApp, type App } from '../src/server/app';
import { createLogger } from '../src/server/logger';
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
  const app: App = await createApp({ config, database, events, logger });

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
    return {
      sqlStatements: database.sql.total,
      // The cache's own count of Redis commands; no cache (CACHE_ENABLED=false) sends none.
      redisRoundTrips: app.cacheLayer.cache?.counters.redisRoundTrips ?? 0,
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

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(sampler);
      await app.stop();
      await events.close();
      await database.close();
    })());

  process.on('message', (message: DriverMessage) => {
    if (message.type === 'stats') {
      send({ type: 'stats', ...stats() });
      if (message.resetPeak) peakRss = process.memoryUsage.rss();
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
