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
  /**
   * Default none: the public roots. PEM of the authority that signed the server's certificate,
   * trusted in their place; used only with `rediss://`. Never an option to skip verification.
   */
  tlsCa?: string;
  /**
   * Called with connection errors, which repeat on every reconnect attempt while Redis is
   * away. Default none: ioredis then prints each one to stderr, outside the structured logs.
   */
  onError?: (error: Error) => void;
}

function listened(client: Redis, options: RedisClientOptions): Redis {
  if (options.onError) client.on('error', options.onError);
  return client;
}

function baseOptions(options: RedisClientOptions): RedisOptions {
  return {
    connectionName: options.connectionName,
    // Reconnect forever, backing off to 2 s: the cache comes back by itself.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    lazyConnect: false,
    ...(options.tlsCa && options.url.startsWith('rediss:') ? { tls: { ca: [options.tlsCa] } } : {}),
  };
}

/** For cache reads and writes: fail fast rather than queue while Redis is away. */
export function createCacheClient(options: RedisClientOptions): Redis {
  const client = new Redis(options.url, {
    ...baseOptions(options),
    commandTimeout: options.commandTimeoutMs ?? 250,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Commands issued in the same tick share one round trip.
    enableAutoPipelining: true,
  });
  return listened(client, options);
}

/**
 * For sessions: the session Redis is the only record of a session, so a command waits for a
 * reconnect (offline queue, bounded by `commandTimeoutMs`) rather than failing at once and
 * signing a user out over a blip.
 */
export function createSessionClient(options: RedisClientOptions): Redis {
  const client = new Redis(options.url, {
    ...baseOptions(options),
    commandTimeout: options.commandTimeoutMs ?? 2000,
    maxRetriesPerRequest: 2,
  });
  return listened(client, options);
}

/** For pub/sub: a connection in subscriber mode can do nothing else. */
export function createSubscriberClient(options: RedisClientOptions): Redis {
  return listened(new Redis(options.url, { ...baseOptions(options), maxRetriesPerRequest: null }), options);
}

/** Resolves once `client` is connected and ready; rejects after `waitMs`. */
export function untilReady(client: Redis, waitMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis not ready within ${waitMs} ms`));
    }, waitMs);
    client.once('ready', onReady);
  });
}

/**
 * Closes a client politely (QUIT, so replies in flight arrive) when it is connected, and
 * drops the connection otherwise or after `waitMs` (default 1000): a QUIT sent to a Redis that
 * is away waits in the offline queue forever, and would hold the process's stop with it.
 */
export async function closeRedis(client: Redis, waitMs = 1000): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([client.quit().then(() => undefined, () => undefined), gaveUp]);
    clearTimeout(timer);
  }
  client.disconnect();
}
