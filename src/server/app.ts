/**
 * The composition root of the HTTP side: Express 5 with Apollo Server 5 on a plain Node HTTP
 * server, which the subscriptions' WebSocket server shares (see `live/`), health routes, and
 * an ordered stop.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { Config } from '../config';
import type { Database } from '../db/orm';
import { createFormatError } from '../errors';
import type { EventBus } from '../events/bus';
import type { Context } from '../modules/context';
import { buildStorefrontSchema } from '../modules';
import { createLoaderFactory } from '../modules/loaders';
import { createResponseCache } from '../cache/response-cache';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { createMetrics } from './metrics';
import { requestStatsPlugin } from './request-stats-plugin';
import { cacheDebugPlugin } from './cache-debug-plugin';
import { graphqlOverHttpPlugin } from './graphql-over-http-plugin';
import { currentRequestScope, newRequestScope, withRequestScope } from '../cache/request-scope';
import { createCacheLayer, type CacheLayer } from './cache-layer';
import { createPurgeWebhook } from './purge-webhook';
import { frontDoor } from './front-door';
import { EventOutbox } from '../events/outbox';
import { OutboxRelay } from '../events/outbox-relay';
import { invalidationForOutboxRow, tagsForEvent } from '../modules/invalidation';
import { adminRoutes } from './admin-routes';
import { reportInvalidation } from './request-stats-plugin';
import { createSessionStore } from './sessions';
import { createContextFactory, createLiveContextFactory, SESSION_COOKIE, type ContextFactoryOptions } from './context';
import { createLive, type Live } from './live';
import { refuseHttpSubscriptions } from './live/http-subscriptions';
import { browserCors } from './cors';
import { healthRoutes } from './health';
import { assignRequestId } from './request-id';
import { bodyParseErrorHandler, requireJsonBody } from './http-errors';
import type { Logger } from './logger';
import { createSecurity } from './security';

export interface AppOptions {
  config: Config;
  database: Database;
  events: EventBus;
  logger: Logger;
  /**
   * Called with the tags of every invalidation this instance's writes cause (see
   * `createCacheLayer`); default: POST them to `CACHE_PURGE_WEBHOOK_URL` when it is set.
   */
  onInvalidation?: (tags: readonly string[]) => void;
}

export interface App {
  httpServer: http.Server;
  cacheLayer: CacheLayer;
  /** Records writes' events and publishes them after their commit. */
  outbox: EventOutbox;
  /** Publishes the outbox rows writers left unpublished; runs from `createApp` to `stop`. */
  relay: OutboxRelay;
  /** Live updates: the bus, the registry of distinct subscriptions (and its execution count). */
  live: Live;
  /** Starts listening on `config.port` (0 picks a free port); resolves to the GraphQL URL. */
  listen(): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes Apollo. */
  stop(): Promise<void>;
}

/** Gives each GraphQL request its id and its own counts (read by the summary plugin). */
const scopePerRequest: RequestHandler = (req, res, next) =>
  // The front door opened it already for the requests whose body it read.
  currentRequestScope() ? next() : withRequestScope(newRequestScope(assignRequestId(req, res)), next);

export async function createApp(options: AppOptions): Promise<App> {
  const { config, database, events, logger } = options;
  const production = config.nodeEnv === 'production';
  const app = express();
  let shuttingDown = false;

  const metrics = createMetrics();
  const security = createSecurity({ config, metrics, logger });
  const stopCountingSql = database.sql.onStatement(() => metrics.sqlStatement(), { background: true });
  const cacheLayer = await createCacheLayer({
    config,
    logger,
    metrics,
    schema: buildStorefrontSchema({ defaultTtl: config.cacheDefaultTtlSeconds }),
    requestOf: (context) => (context as Context).fieldCache,
    onInvalidation:
      options.onInvalidation ?? (config.cachePurgeWebhookUrl ? createPurgeWebhook({ url: config.cachePurgeWebhookUrl, logger }) : undefined),
  });
  // `live` is built below (it needs the outbox for its contexts); nothing publishes before.
  const publishLive: Live['publish'] = (rows) => live.publish(rows);
  const outbox = new EventOutbox({
    database,
    tagsOf: tagsForEvent,
    apply: (plan) => cacheLayer.apply(plan),
    bus: events,
    publishLive,
    onOutcome: (outcome, write) => {
      metrics.outboxWrite(outcome.status);
      reportInvalidation(outcome);
      security.onWrite(write);
    },
    onError: (err) => logger.warn({ err }, 'outbox: a write\'s rows could not be published or marked published; the relay will publish them'),
  });
  const relay = new OutboxRelay({
    database,
    planOf: invalidationForOutboxRow,
    apply: (plan) => cacheLayer.apply(plan),
    publishLive,
    canPublish: () => cacheLayer.canPublish(),
    pollMs: config.outboxPollMs,
    publishDelayMs: config.outboxPublishDelayMs,
    batchSize: config.outboxBatchSize,
    retentionHours: config.outboxRetentionHours,
    onPublished: (count) => metrics.outboxRelayed(count),
    onError: (err) => logger.warn({ err }, 'outbox relay: a poll failed; the next one tries again'),
  });
  const sessions = createSessionStore({ config, cache: cacheLayer.cache, logger });
  const createLoaders = createLoaderFactory({
    orm: database.orm,
    cache: cacheLayer.cache,
    policies: cacheLayer.policies,
    onBatch: metrics.loaderBatch,
  });

  const responseCache =
    cacheLayer.cache &&
    createResponseCache({
      cache: cacheLayer.cache,
      schema: cacheLayer.schema,
      policies: cacheLayer.policies,
      http: { sharedMaxAgeSeconds: config.httpSharedMaxAgeSeconds },
      hasCredentials: (headers) => Boolean(headers.authorization) || String(headers.cookie ?? '').includes(`${SESSION_COOKIE}=`),
    });
  const httpServer = http.createServer(
    security.gate(
      '/graphql',
      responseCache
        ? frontDoor({
            path: '/graphql',
            next: app,
            storedInL1: responseCache.storedInL1,
            storedInRedis: responseCache.storedInRedis,
            admits: security.frontDoorAdmits,
          })
        : app,
    ),
  );

  const formatError = security.formatError(
    createFormatError({
      exposeInternals: !production,
      requestId: () => currentRequestScope()?.id,
      onInternalError: (error, requestId) => logger.error({ err: error, requestId }, 'unexpected error in a GraphQL operation'),
    }),
  );
  const contextOptions: ContextFactoryOptions = {
    orm: database.orm,
    outbox,
    config,
    createLoaders,
    sessions,
    cache: cacheLayer.cache,
    purgeCache: () => cacheLayer.purge(),
    cachedFieldsOf: cacheLayer.cachedFieldsOf,
    ...security.context,
  };
  const live = createLive({
    config,
    schema: cacheLayer.schema,
    policies: cacheLayer.policies,
    cache: cacheLayer.cache,
    orm: database.orm,
    sessions,
    contextFor: createLiveContextFactory(contextOptions),
    formatError,
    metricsRegistry: metrics.registry,
    logger,
  });
  const liveServer = live.attach(httpServer);

  const apollo = new ApolloServer<Context>({
    schema: cacheLayer.schema,
    ...security.apollo,
    // index.ts owns the signals, so the whole service (not Apollo alone) stops in order.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: !production,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceMs }),
      // Subscriptions' sockets close (1001) when Apollo drains, as its docs set it up.
      liveServer.drainPlugin,
      refuseHttpSubscriptions<Context>(),
      // The landing page (Sandbox, or none), query limits, the per-user limit, the audit log.
      ...security.plugins,
      // Sandbox shows each response's cache summary; production responses carry none.
      ...(production ? [] : [requestStatsPlugin()]),
      graphqlOverHttpPlugin<Context>(),
      // HTTP caching headers come from the policy map, once per operation (see response-cache);
      // Apollo's cache-control plugin would add a hook to every field for a hint never used.
      ApolloServerPluginCacheControlDisabled(),
      ...(responseCache ? [responseCache.plugin<Context>((context) => context.viewer?.userId), cacheDebugPlugin<Context>()] : []),
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  // Only cacheable GET answers carry an ETag (see cache/http-caching.ts); Express hashing every
  // body (100 KB for a catalog page, POSTs included) cost about 5% of a cached hit.
  app.set('etag', false);
  // req.ip names the same client the rate limits and the audit log do (see client-address).
  app.set('trust proxy', config.trustProxyHops);
  app.use(healthRoutes(database.orm, () => shuttingDown));
  app.get('/metrics', metrics.handler);
  app.use(adminRoutes({ orm: database.orm, outbox, sessions, cachedFieldsOf: cacheLayer.cachedFieldsOf, logger }));
  app.use(
    '/graphql',
    scopePerRequest,
    browserCors(config.corsOrigins),
    requireJsonBody,
    express.json({ limit: '1mb' }),
    bodyParseErrorHandler,
    ...(sessions.middleware ? [sessions.middleware] : []),
    ...security.middleware,
    ...(responseCache ? [responseCache.fastPath] : []),
    expressMiddleware(apollo, {
      context: createContextFactory(contextOptions),
    }),
  );
  relay.start();

  return {
    httpServer,
    cacheLayer,
    outbox,
    relay,
    live,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          const { port } = httpServer.address() as AddressInfo;
          const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
          resolve(`http://${host}:${port}/graphql`);
        });
      }),
    async stop() {
      shuttingDown = true;
      await apollo.stop();
      // Before the cache closes: both publish through it. What is left unpublished, a relay
      // (this instance's next start, or another instance's) publishes.
      await relay.stop();
      await outbox.settled();
      await live.close();
      await cacheLayer.close();
      await security.close();
      await sessions.close();
      stopCountingSql();
    },
  };
}
