/**
 * ioredis client factories. The cache client fails fast (no offline queue, a short command
 * timeout) because a slow cache must never slow a query: the caller falls back to the
 * database. The subscriber reconnects forever and says when it (re)connects, so the cache can
 * distrust what it may have missed meanwhile.
 */
import Redis, { type RedisOptions } from 'ioredis';

export interface RedisClientOptions {
  url: string;
  /** Default 250. Milliseconds before a command is given up on. */
  commandTimeoutMs?: number;
  /** Shown in `CLIENT LIST`, e.g. `storefront:cache`. */
  connectionName?: string;
}

function baseOptions(options: RedisClientOptions): RedisOptions {
  return {
    connectionName: options.connectionName,
    // Reconnect forever, backing off to 2 s: the cache comes back by itself.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    lazyConnect: false,
  };
}

/** For cache reads and writes: fail fast rather than queue while Redis is away. */
export function createCacheClient(options: RedisClientOptions): Redis {
  return new Redis(options.url, {
    ...baseOptions(options),
    commandTimeout: options.commandTimeoutMs ?? 250,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Commands issued in the same tick share one round trip.
    enableAutoPipelining: true,
  });
}

/** For pub/sub: a connection in subscriber mode can do nothing else. */
export function createSubscriberClient(options: RedisClientOptions): Redis {
  return new Redis(options.url, { ...baseOptions(options), maxRetriesPerRequest: null });
}
