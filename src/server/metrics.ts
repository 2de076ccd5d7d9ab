/**
 * Prometheus metrics (`GET /metrics`, text format, via prom-client): what the cache does per
 * cached field and per loader and how long it takes, Redis round trips and errors, SQL
 * statements, loader batch sizes and load times, invalidations. The same observer also feeds
 * the per-request counts.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestHandler } from 'express';
import type { CacheObserver } from '../cache/cache-stats';
import type { InvalidationEvent } from '../cache/invalidation-channel';
import { currentRequestScope } from '../cache/request-scope';

export interface Metrics {
  registry: Registry;
  cacheObserver: CacheObserver;
  sqlStatement(): void;
  /** A DataLoader's database load finished: how many keys, how long. */
  loaderBatch(loader: string, size: number, seconds: number): void;
  invalidation(event: Exclude<InvalidationEvent, 'subscriber-up'>): void;
  /** A write's invalidation: acknowledged by every instance, or deferred to the outbox relay. */
  outboxWrite(status: 'acknowledged' | 'deferred'): void;
  /** The outbox relay published `count` rows. */
  outboxRelayed(count: number): void;
  /** A rate limit refused a request (or a sign-in). */
  rateLimited(limit: string): void;
  /** A rate limit could not be checked (Redis away or slow) and let the request through. */
  rateLimiterUnavailable(limit: string): void;
  /** A document was refused by a query limit, or as not registered. */
  queryRefused(limit: string): void;
  handler: RequestHandler;
}

/** Latency buckets, from a hit in memory (well under a millisecond) to a slow database load. */
const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'storefront_' });

  const lookups = new Counter({
    name: 'storefront_cache_lookups_total',
    help: 'Cache lookups by source (a cached field like Product.averageRating, or a loader like Product), tier that answered, and outcome.',
    labelNames: ['source', 'tier', 'outcome'] as const,
    registers: [registry],
  });
  const resolved = new Histogram({
    name: 'storefront_cache_field_seconds',
    help: 'Time to answer a cached field, by field and outcome (hit, stale, miss).',
    labelNames: ['field', 'outcome'] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  const roundTrips = new Counter({
    name: 'storefront_redis_round_trips_total',
    help: 'Redis commands sent by the cache (a batch counts once).',
    labelNames: ['command'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'storefront_cache_errors_total',
    help: 'Failed Redis calls; each was answered from the database instead.',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  const sql = new Counter({ name: 'storefront_sql_statements_total', help: 'SQL statements sent to PostgreSQL.', registers: [registry] });
  const batches = new Histogram({
    name: 'storefront_loader_batch_size',
    help: 'Keys per database load of each DataLoader.',
    labelNames: ['loader'] as const,
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const loads = new Histogram({
    name: 'storefront_loader_load_seconds',
    help: 'Time of each database load of each DataLoader (the keys its batch found in no cache tier).',
    labelNames: ['loader'] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  const lookupTime = new Histogram({
    name: 'storefront_cache_lookup_seconds',
    help:
      'Time of each cache lookup (L1, then Redis for what L1 lacks) of a loader or cached field batch, by source and ' +
      'by Redis use: not_needed (L1 had it all), asked, or unavailable (failed, timed out or circuit open: answered from the database).',
    labelNames: ['source', 'redis'] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  const invalidations = new Counter({
    name: 'storefront_cache_invalidations_total',
    help: 'Invalidations published by this instance, received from any instance, and trouble (ack timeouts, late arrivals, subscriber drops, failed publishes).',
    labelNames: ['event'] as const,
    registers: [registry],
  });

  const outboxWrites = new Counter({
    name: 'storefront_outbox_writes_total',
    help: 'Writes by how their invalidation went: acknowledged by every instance, or deferred (published later by an outbox relay).',
    labelNames: ['invalidation'] as const,
    registers: [registry],
  });
  const outboxRelayed = new Counter({
    name: 'storefront_outbox_relayed_rows_total',
    help: 'Outbox rows this instance\'s relay published: left by a writer cut off, slow to be acknowledged or dead, or written by the database\'s triggers.',
    registers: [registry],
  });

  const rateLimited = new Counter({
    name: 'storefront_rate_limited_total',
    help: 'Requests refused with RATE_LIMITED, by limit (perAddress, perUser, loginPerAccount, loginPerAddress).',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  const rateLimiterUnavailable = new Counter({
    name: 'storefront_rate_limiter_unavailable_total',
    help: 'Rate limit checks that failed open (Redis away, slow or failing): the request went through unchecked.',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  const queryRefused = new Counter({
    name: 'storefront_query_refused_total',
    help: 'Documents refused before execution, by limit (depth, aliases, directives, tokens, cost) or not_registered.',
    labelNames: ['limit'] as const,
    registers: [registry],
  });

  const cacheObserver: CacheObserver = {
    lookup(source, tier, outcome) {
      lookups.inc({ source, tier, outcome });
      const stats = currentRequestScope()?.stats;
      if (!stats) return;
      if (outcome === 'hit') stats.hits += 1;
      else if (outcome === 'miss') stats.misses += 1;
      else stats.stale += 1;
    },
    roundTrip(command) {
      roundTrips.inc({ command });
      const stats = currentRequestScope()?.stats;
      if (stats) stats.redisRoundTrips += 1;
    },
    error(operation) {
      errors.inc({ operation });
    },
    resolved(field, outcome, seconds) {
      resolved.observe({ field, outcome }, seconds);
    },
    lookedUp(source, seconds, redis) {
      lookupTime.observe({ source, redis }, seconds);
    },
  };

  return {
    registry,
    cacheObserver,
    sqlStatement() {
      sql.inc();
      const stats = currentRequestScope()?.stats;
      if (stats) stats.sqlStatements += 1;
    },
    loaderBatch: (loader, size, seconds) => {
      batches.observe({ loader }, size);
      loads.observe({ loader }, seconds);
    },
    invalidation: (event) => invalidations.inc({ event }),
    outboxWrite: (status) => outboxWrites.inc({ invalidation: status }),
    outboxRelayed: (count) => outboxRelayed.inc(count),
    rateLimited: (limit) => rateLimited.inc({ limit }),
    rateLimiterUnavailable: (limit) => rateLimiterUnavailable.inc({ limit }),
    queryRefused: (limit) => queryRefused.inc({ limit }),
    handler: async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    },
  };
}
