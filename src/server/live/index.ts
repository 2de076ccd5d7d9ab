/**
 * Assembles live updates for one instance: the live bus (Redis streams and pub/sub when
 * `REDIS_URL` is set, in-process otherwise), the registry of distinct subscriptions, the
 * WebSocket server on the HTTP server's port, and their metrics.
 */
import type http from 'node:http';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type Redis from 'ioredis';
import type { Registry } from 'prom-client';
import type { Config } from '../../config';
import type { Orm } from '../../db/orm';
import { InProcessLiveBus, RedisLiveBus, type LiveBus } from '../../events/live-bus';
import type { OutboxRow } from '../../events/outbox';
import type { PolicyMap } from '../../cache/policy';
import type { TwoTierCache } from '../../cache/two-tier-cache';
import type { Context, Viewer } from '../../modules/context';
import { tagsForEvent } from '../../modules/invalidation';
import { livePublicationsOf } from '../../modules/live/live.topics';
import { closeRedis, createCacheClient, createSubscriberClient } from '../../redis/clients';
import type { SessionStore } from '../../session/session-store';
import type { Logger } from '../logger';
import { createLiveMetrics } from './live-metrics';
import { createPlanner } from './plan';
import { LiveRegistry } from './registry';
import { createLiveServer, type LiveServer } from './ws-server';

export interface Live {
  bus: LiveBus;
  registry: LiveRegistry;
  /** Publishes outbox rows' events to their topics (for the outbox and its relay). */
  publish(rows: readonly OutboxRow[]): Promise<void>;
  /** Starts the WebSocket server on `httpServer` (call once the schema is final). */
  attach(httpServer: http.Server): LiveServer;
  /** The WebSocket server, once attached. */
  readonly server: LiveServer | undefined;
  close(): Promise<void>;
}

export function createLive(options: {
  config: Config;
  schema: GraphQLSchema;
  policies: PolicyMap;
  cache: TwoTierCache | undefined;
  orm: Orm;
  sessions: SessionStore;
  contextFor: (viewer: Viewer | null) => Context;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  metricsRegistry: Registry;
  logger: Logger;
}): Live {
  const { config, logger } = options;
  const limits = { maxLen: config.liveStreamMaxLen, ttlSeconds: config.liveStreamTtlSeconds, dedupeSeconds: config.outboxRetentionHours * 3600 };
  let clients: Redis[] = [];
  let bus: LiveBus;
  const warn = (connection: string) => (err: Error) => logger.warn({ connection, err }, 'live: a Redis connection failed; reconnecting');
  if (config.redisUrl) {
    // Their own connections: a subscriber connection can do nothing else, and the publisher
    // fails fast so that a write's publication falls to the outbox relay rather than waits.
    const publisher = createCacheClient({
      url: config.redisUrl,
      commandTimeoutMs: Math.max(config.redisCommandTimeoutMs * 10, 2000),
      connectionName: 'storefront:live-publisher',
      tlsCa: config.redisTlsCa,
      onError: warn('live-publisher'),
    });
    const subscriber = createSubscriberClient({
      url: config.redisUrl,
      connectionName: 'storefront:live-subscriber',
      tlsCa: config.redisTlsCa,
      onError: warn('live-subscriber'),
    });
    clients = [publisher, subscriber];
    bus = new RedisLiveBus({
      ...limits,
      publisher,
      subscriber,
      prefix: config.cacheKeyPrefix,
      onError: (err) => logger.warn({ err }, 'live: delivering or catching up an event failed'),
    });
  } else {
    bus = new InProcessLiveBus(limits);
  }

  let server: LiveServer | undefined;
  const metrics = createLiveMetrics(options.metricsRegistry, {
    sockets: () => server?.socketCount() ?? 0,
    subscriptions: () => server?.subscriptionCount() ?? 0,
    distinctSubscriptions: () => registry.distinctCount,
    topics: () => bus.topicCount,
  });
  const registry = new LiveRegistry({
    schema: options.schema,
    bus,
    contextFor: options.contextFor,
    dropLocal: (tags) => options.cache?.dropLocal(tags),
    tagsOf: tagsForEvent,
    formatError: options.formatError,
    metrics,
    onError: (err) => logger.error({ err }, 'live: a subscription payload could not be resolved'),
  });

  return {
    bus,
    registry,
    get server() {
      return server;
    },
    publish: async (rows) => {
      const publications = livePublicationsOf(rows);
      if (publications.length > 0) await bus.publish(publications);
    },
    attach(httpServer) {
      server = createLiveServer({
        httpServer,
        schema: options.schema,
        config,
        orm: options.orm,
        sessions: options.sessions,
        registry,
        bus,
        plan: createPlanner({ schema: options.schema, policies: options.policies }),
        formatError: options.formatError,
        metrics,
        logger,
      });
      return server;
    },
    async close() {
      await bus.close();
      await Promise.all(clients.map((client) => closeRedis(client)));
    },
  };
}
