/**
 * Assembles the cache from configuration: the policy map read from the schema, the key space
 * (prefix, schema shape, generation), the two tiers, and, with Redis, the invalidation channel.
 * Every committed write's outbox rows reach `apply` before the mutation answers (see
 * `events/outbox.ts`), and the relay brings there the rows their writers could not publish.
 */
import { createHash } from 'node:crypto';
import { printSchema, type GraphQLSchema } from 'graphql';
import type Redis from 'ioredis';
import type { Config } from '../config';
import { applyFieldCache, type FieldCacheRequest } from '../cache/field-cache';
import { InvalidationChannel, type InvalidationResult } from '../cache/invalidation-channel';
import { KeySpace } from '../cache/keys';
import { readPolicyMap, type PolicyMap } from '../cache/policy';
import { assertTagCoverage } from '../modules/tag-coverage';
import { TwoTierCache } from '../cache/two-tier-cache';
import type { InvalidationOutcome, InvalidationPlan } from '../events/outbox';
import { ENTITY_TYPES } from '../modules/loaders';
import { SESSION_TYPE } from '../session/session-cache';
import { closeRedis, createCacheClient, createSubscriberClient, untilReady } from '../redis/clients';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export interface CacheLayer {
  cache: TwoTierCache | undefined;
  policies: PolicyMap;
  /** The schema with `@cached` fields wrapped (unchanged when the cache is off). */
  schema: GraphQLSchema;
  /**
   * Drops `tags` on every instance; resolves when they have all acknowledged (or timed out),
   * with who received and acknowledged it when Redis carries the message.
   */
  invalidate(tags: readonly string[]): Promise<InvalidationResult | undefined>;
  /** Empties the cache on every instance (a new key generation; nothing is scanned). */
  purge(): Promise<{ generation: number }>;
  /**
   * Carries out what outbox rows name (their tags, or a purge) on every instance, and says
   * whether every instance acknowledged (the rows may be marked published) or not (deferred:
   * Redis unreachable, or an acknowledgement missing; the relay publishes them again). Tells
   * `onInvalidation` of the tags, whichever instance wrote them.
   */
  apply(plan: InvalidationPlan): Promise<InvalidationOutcome>;
  /** False while this instance cannot hear the others (its subscriber is down): what it publishes would be deferred. */
  canPublish(): boolean;
  /** The fields of `typeName` that carry `@cached` themselves. */
  cachedFieldsOf(typeName: string): readonly string[];
  close(): Promise<void>;
}

const entityTypes = new Set<string>(ENTITY_TYPES);

/** A hash of the schema: a changed schema gets fresh entry keys, never reading old shapes. */
export function schemaShape(schema: GraphQLSchema): string {
  return createHash('sha1').update(printSchema(schema)).digest('hex').slice(0, 8);
}

export async function createCacheLayer(options: {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  schema: GraphQLSchema;
  requestOf: (context: unknown) => FieldCacheRequest | undefined;
  /**
   * Called with the tags of every invalidation this instance's writes and its outbox relay
   * cause, once the instances have dropped them (for a CDN's purge by tag). Session tags are
   * not included: no HTTP cache holds a session, and they name one.
   */
  onInvalidation?: (tags: readonly string[]) => void;
}): Promise<CacheLayer> {
  const { config, logger, metrics } = options;
  const policies = readPolicyMap(options.schema, { defaultTtl: config.cacheDefaultTtlSeconds });
  assertTagCoverage(options.schema, policies);
  const cachedFieldsOf = (typeName: string) =>
    [...policies.fields.keys()].filter((coordinate) => coordinate.startsWith(`${typeName}.`)).map((coordinate) => coordinate.slice(typeName.length + 1));
  if (!config.cacheEnabled) {
    logger.info('cache: off (CACHE_ENABLED=false); every read goes to the database');
    return {
      cache: undefined,
      policies,
      schema: options.schema,
      invalidate: async () => undefined,
      purge: async () => ({ generation: 0 }),
      // Nothing is cached anywhere: nothing can be stale.
      apply: async () => ({ status: 'acknowledged', receivers: 0, acknowledged: 0 }),
      canPublish: () => true,
      cachedFieldsOf,
      close: async () => undefined,
    };
  }

  const prefix = config.cacheKeyPrefix;
  const keys = new KeySpace(prefix, 0, schemaShape(options.schema));
  let client: Redis | undefined;
  let subscriber: Redis | undefined;
  let channel: InvalidationChannel | undefined;
  // One line a second at most per kind: a dead Redis must not flood the logs.
  const warnCallFailed = atMostEverySecond((fields: object) =>
    logger.warn(fields, 'cache: a Redis call failed; answered from the database'),
  );
  const warnConnection = atMostEverySecond((fields: object) =>
    logger.warn(fields, 'cache: a Redis connection failed; reconnecting, answering from the database meanwhile'),
  );

  if (config.redisUrl) {
    client = createCacheClient({
      url: config.redisUrl,
      // The cache times its calls itself (see withTimeout); the client's own timeout is a backstop.
      commandTimeoutMs: Math.max(config.redisCommandTimeoutMs * 10, 2000),
      connectionName: 'storefront:cache',
      tlsCa: config.redisTlsCa,
      onError: (err) => warnConnection({ connection: 'cache', err }),
    });
    subscriber = createSubscriberClient({
      url: config.redisUrl,
      connectionName: 'storefront:invalidation',
      tlsCa: config.redisTlsCa,
      onError: (err) => warnConnection({ connection: 'invalidation', err }),
    });
    // Short: a Redis that is away must not hold the API's start for long (it joins later).
    await Promise.all([untilReady(client, 1000), untilReady(subscriber, 1000)]).catch((error: unknown) => {
      logger.warn({ err: error }, 'cache: Redis is not answering yet; serving from the database until it does');
    });
    keys.generation = Number((await client.get(keys.generationKey).catch(() => null)) ?? 0);
  }

  const cache = new TwoTierCache({
    keys,
    redis: client,
    redisTimeoutMs: config.redisCommandTimeoutMs,
    observer: metrics.cacheObserver,
    l1: { maxEntries: config.cacheL1MaxEntries, maxBytes: config.cacheL1MaxMb * 1024 * 1024, maxTtlMs: config.cacheL1MaxTtlMs },
    breaker: {
      onStateChange: (state) => logger.warn({ state }, `cache: Redis circuit ${state}`),
    },
    onRedisError: (operation, error) => warnCallFailed({ operation, err: error }),
  });

  if (client && subscriber) {
    channel = new InvalidationChannel({
      cache,
      publisher: client,
      subscriber,
      prefix,
      ackTimeoutMs: config.cacheAckTimeoutMs,
      commandTimeoutMs: config.redisCommandTimeoutMs,
      probeMs: config.cacheSubscriberProbeMs,
      onEvent: (event, detail) => {
        if (event !== 'subscriber-up') metrics.invalidation(event);
        if (event !== 'published' && event !== 'received') logger.warn({ event, detail }, `cache: invalidation ${event}`);
      },
    });
    await channel.start();
    logger.info({ prefix, generation: keys.generation }, 'cache: Redis (L2) behind an in-process LRU (L1), invalidation over pub/sub');
  } else {
    logger.info('cache: in-process LRU only (no REDIS_URL); fine for a single instance');
  }

  const invalidate = async (tags: readonly string[]): Promise<InvalidationResult | undefined> => {
    if (tags.length === 0) return undefined;
    if (channel) return channel.invalidate(tags);
    await cache.invalidate(tags);
    return undefined;
  };
  const purge = async (): Promise<InvalidationResult & { generation: number }> => {
    if (channel) return channel.purge();
    cache.purgeLocal(cache.keys.generation + 1);
    return { generation: cache.keys.generation, receivers: 1, acknowledged: 1 };
  };
  const apply = async (plan: InvalidationPlan): Promise<InvalidationOutcome> => {
    const results: InvalidationResult[] = [];
    try {
      if (plan.purge) results.push(await purge());
      if (plan.tags.length > 0) results.push((await invalidate(plan.tags)) ?? { receivers: 1, acknowledged: 1 });
    } catch (error) {
      // A purge with Redis away throws: nothing could be told to the other instances.
      logger.warn({ err: error }, 'cache: an invalidation could not reach Redis; the outbox relay will publish it again');
      results.push({ receivers: 0, acknowledged: 0 });
    }
    const shared = plan.tags.filter((tag) => !isSessionTag(tag));
    if (shared.length > 0) options.onInvalidation?.(shared);
    return outcomeOf(results);
  };

  return {
    cache,
    policies,
    schema: applyFieldCache(options.schema, {
      policies,
      cache,
      requestOf: options.requestOf,
      isEntity: (typeName) => entityTypes.has(typeName),
    }),
    invalidate,
    purge,
    apply,
    // Without Redis this instance is the only one, and always hears itself.
    canPublish: () => !channel || channel.isSubscribed,
    cachedFieldsOf,
    async close() {
      await cache.settled();
      await channel?.stop();
      if (client) await closeRedis(client);
    },
  };
}

/** Session entries are never in an HTTP cache, and their tags name a session or a user. */
function isSessionTag(tag: string): boolean {
  return tag.startsWith(`${SESSION_TYPE}:`) || tag.endsWith(':sessions');
}

/**
 * Acknowledged only if every step was heard by someone (a PUBLISH that reached no subscriber
 * reached no instance, this one included) and acknowledged by all who heard it. The counts are
 * those of the least acknowledged step.
 */
function outcomeOf(results: readonly InvalidationResult[]): InvalidationOutcome {
  if (results.length === 0) return { status: 'acknowledged', receivers: 0, acknowledged: 0 };
  const complete = results.every((result) => result.receivers > 0 && result.acknowledged >= result.receivers && result.stored !== false);
  const worst = results.reduce((a, b) => (b.acknowledged - b.receivers < a.acknowledged - a.receivers || b.receivers === 0 ? b : a));
  return { status: complete ? 'acknowledged' : 'deferred', receivers: worst.receivers, acknowledged: worst.acknowledged };
}

function atMostEverySecond<T>(log: (arg: T) => void): (arg: T) => void {
  let last = 0;
  return (arg) => {
    if (Date.now() - last < 1000) return;
    last = Date.now();
    log(arg);
  };
}
