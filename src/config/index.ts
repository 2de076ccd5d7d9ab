/**
 * Turns the environment into one frozen, typed Config. Everything the process reads from the
 * environment is read here, once, and checked eagerly so that a typo fails the start with a
 * message naming the variable, not a confusing error minutes later.
 */

import { readFileSync } from 'node:fs';

export type NodeEnv = 'development' | 'production' | 'test';
export type SeedSize = 'demo' | 'bench';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** `NODE_ENV`; default `development`. Production masks internal errors and hides Sandbox. */
  readonly nodeEnv: NodeEnv;
  /** `PORT`; default 4000. */
  readonly port: number;
  /** `HOST`; default `0.0.0.0`. */
  readonly host: string;
  /** `DATABASE_URL`; when absent the server runs an embedded PostgreSQL (PGlite). */
  readonly databaseUrl: string | undefined;
  /** `DATABASE_POOL_MAX`; default 10. Connections per instance. */
  readonly databasePoolMax: number;
  /** `EMBEDDED_DATA_DIR`; default `.data/pglite`. Where the embedded database keeps its files. */
  readonly embeddedDataDir: string;
  /** `REDIS_URL`; when absent the server runs single-instance (no shared cache). */
  readonly redisUrl: string | undefined;
  /**
   * The PEM read from `REDIS_TLS_CA_FILE`: the certificate authority that signed the Redis
   * server's certificate (a managed Redis with a private CA), trusted in place of the public
   * roots for `rediss://` connections. Unset: the public roots.
   */
  readonly redisTlsCa: string | undefined;
  /**
   * `SESSION_REDIS_URL`: the durable Redis for sessions (run it with `noeviction` and
   * append-only, never the cache's Redis). Unset: sessions stay in PostgreSQL (read through
   * the cache when `REDIS_URL` is set), and the start log says so.
   */
  readonly sessionRedisUrl: string | undefined;
  /**
   * `SESSION_KEY_PREFIX`; default `<CACHE_KEY_PREFIX>-sess`. Namespaces session keys in the
   * session Redis (`<prefix>:<token hash>`, `<prefix>:user:<id>`).
   */
  readonly sessionKeyPrefix: string;
  /**
   * `SESSION_SECRET`: signs the session cookie (comma-separated: the first signs, all verify,
   * for rotation). Required in production with a session Redis; otherwise, when unset, a random
   * secret per process (logged as a warning; cookies then work on one process only).
   */
  readonly sessionSecrets: readonly string[] | undefined;
  /**
   * `SESSION_ABSOLUTE_TTL_SECONDS`; default 30 days. With a session Redis, no session lives
   * longer than this after sign-in, however active.
   */
  readonly sessionAbsoluteTtlSeconds: number;
  /** `SEED_SIZE`; default `demo`. The dataset loaded into an empty database at start. */
  readonly seedSize: SeedSize;
  /** `SEED_ON_EMPTY`; default true for the embedded database, false otherwise. */
  readonly seedOnEmpty: boolean;
  /** `LOG_LEVEL`; default `info` (`silent` under test). */
  readonly logLevel: LogLevel;
  /**
   * `SESSION_TTL_SECONDS`; default 7 days. With a session Redis, the sliding expiry: a session
   * unused this long ends (each request renews it, up to `SESSION_ABSOLUTE_TTL_SECONDS`). In
   * PostgreSQL: a fixed lifetime from sign-in.
   */
  readonly sessionTtlSeconds: number;
  /** `COOKIE_SECURE`; default true in production. Marks the session cookie `Secure`. */
  readonly cookieSecure: boolean;
  /**
   * `CORS_ORIGINS`: comma-separated origins allowed to call the API from a browser, with
   * credentials. Default: none (same origin only). Never `*`: the session cookie rides along.
   */
  readonly corsOrigins: readonly string[];
  /** `CACHE_ENABLED`; default true. False: every read goes to the database (for comparisons). */
  readonly cacheEnabled: boolean;
  /** `CACHE_KEY_PREFIX`; default `sf`. Namespaces every Redis key and channel of this deployment. */
  readonly cacheKeyPrefix: string;
  /** `CACHE_L1_MAX_ENTRIES`; default 100000. Entries in each instance's in-process cache. */
  readonly cacheL1MaxEntries: number;
  /** `CACHE_L1_MAX_MB`; default 256. Approximate memory bound of the in-process cache. */
  readonly cacheL1MaxMb: number;
  /** `CACHE_L1_MAX_TTL_MS`; default 30000. The longest an entry stays in the in-process cache. */
  readonly cacheL1MaxTtlMs: number;
  /**
   * `CACHE_DEFAULT_TTL_SECONDS`; default 60. The ttl of a `@cached` directive that names none,
   * on itself or on its type.
   */
  readonly cacheDefaultTtlSeconds: number;
  /** `REDIS_COMMAND_TIMEOUT_MS`; default 250. A slower cache call counts as a miss. */
  readonly redisCommandTimeoutMs: number;
  /** `CACHE_ACK_TIMEOUT_MS`; default 500. How long a write waits for other instances to drop what it changed. */
  readonly cacheAckTimeoutMs: number;
  /**
   * `CACHE_SUBSCRIBER_PROBE_MS`; default 1000. How often each instance PINGs Redis on its
   * invalidation subscriber, and how long the reply may take: past that it stops using its L1
   * (it may not be hearing invalidations) until a reply comes. 0: no probe.
   */
  readonly cacheSubscriberProbeMs: number;
  /**
   * `HTTP_SHARED_MAX_AGE_SECONDS`; default 0. Seconds a CDN may serve a public GET answer
   * without asking (`s-maxage`, never past the answer's cache entry). 0: every HTTP cache
   * revalidates (`no-cache` with an ETag), so none shows an answer older than the last write.
   */
  readonly httpSharedMaxAgeSeconds: number;
  /**
   * `CACHE_PURGE_WEBHOOK_URL`: where to POST `{"tags":[...]}` for every invalidation this
   * instance's writes cause, for forwarding to a CDN's purge-by-tag API. Unset: none.
   */
  readonly cachePurgeWebhookUrl: string | undefined;
  /** `SHUTDOWN_GRACE_MS`; default 10000. How long SIGTERM waits for in-flight requests. */
  readonly shutdownGraceMs: number;
  /** `OUTBOX_POLL_MS`; default 1000. How often each instance's relay looks for outbox rows to publish. */
  readonly outboxPollMs: number;
  /**
   * `OUTBOX_PUBLISH_DELAY_MS`; default 2000. How long an outbox row is left to its writer before
   * a relay publishes it. Keep it above `CACHE_ACK_TIMEOUT_MS`, or relays republish what writers
   * are still publishing (harmless, wasted). A writer cut off from Redis leaves other instances
   * serving the old value for about this long plus one poll.
   */
  readonly outboxPublishDelayMs: number;
  /** `OUTBOX_BATCH_SIZE`; default 100. Rows a relay publishes per transaction. */
  readonly outboxBatchSize: number;
  /** `OUTBOX_RETENTION_HOURS`; default 24. How long published outbox rows are kept before deletion. */
  readonly outboxRetentionHours: number;
  /** `LIVE_CONNECTION_INIT_TIMEOUT_MS`; default 3000. A socket that sends no `connection_init` by then is closed (4408). */
  readonly liveConnectionInitTimeoutMs: number;
  /** `SUBSCRIPTIONS_PER_SOCKET_MAX`; default 50. More on one socket are refused with an `error` message (`SUBSCRIPTION_LIMIT`). */
  readonly subscriptionsPerSocketMax: number;
  /**
   * `LIVE_SOCKETS_PER_ADDRESS_MAX`; default 200. Further sockets from one client address are
   * closed (4429). The address is the TCP peer's: behind a load balancer, the balancer's.
   */
  readonly liveSocketsPerAddressMax: number;
  /** `LIVE_STREAM_MAXLEN`; default 1000. Events kept per topic for clients that resume with `after`. */
  readonly liveStreamMaxLen: number;
  /** `LIVE_STREAM_TTL_SECONDS`; default 3600. How long a topic's events are kept after its last one. */
  readonly liveStreamTtlSeconds: number;
  /** `LIVE_KEEPALIVE_MS`; default 12000. Ping interval; a socket that misses a pong for as long is dropped. 0: none. */
  readonly liveKeepAliveMs: number;
  /** `LIVE_MAX_MESSAGE_BYTES`; default 65536. A larger client message closes its socket (1009). */
  readonly liveMaxMessageBytes: number;
  /** `LIVE_MAX_BUFFERED_BYTES`; default 4 MiB. A socket that falls this far behind is closed (1013, try again later). */
  readonly liveMaxBufferedBytes: number;
  /**
   * `TRUST_PROXY_HOPS`; default 0. How many proxies in front of the API append to
   * `X-Forwarded-For`: the client address (rate limits, audit) is the entry that many hops from
   * the right. 0: the TCP peer, and `X-Forwarded-For` is ignored (a client could forge it).
   */
  readonly trustProxyHops: number;
  /** Abuse protection: rate limits, query limits, persisted documents, the audit log. */
  readonly security: SecurityConfig;
}

/** Rate limits per window; refusals answer 429 with `Retry-After`. */
export interface RateLimitConfig {
  /** `RATE_LIMIT_ENABLED`; default true. */
  readonly enabled: boolean;
  /** `RATE_LIMIT_WINDOW_SECONDS`; default 60. The window of the per-address and per-user limits. */
  readonly windowSeconds: number;
  /** `RATE_LIMIT_PER_ADDRESS`; default 600. GraphQL requests per client address per window, cached answers included. */
  readonly perAddress: number;
  /** `RATE_LIMIT_PER_USER`; default 600. GraphQL requests per signed-in user per window, whatever their addresses. */
  readonly perUser: number;
  /** `LOGIN_FAILURE_WINDOW_SECONDS`; default 900. How long failed sign-ins are remembered (and a locked account waits at most). */
  readonly loginFailureWindowSeconds: number;
  /** `LOGIN_FAILURES_PER_ACCOUNT`; default 5. Failed sign-ins to one email per window, from any address; a success resets it. */
  readonly loginFailuresPerAccount: number;
  /** `LOGIN_FAILURES_PER_ADDRESS`; default 20. Failed sign-ins from one address per window, to any account. */
  readonly loginFailuresPerAddress: number;
}

/** Refused before execution with QUERY_TOO_COMPLEX; 0 turns a limit off. */
export interface QueryLimitConfig {
  /** `QUERY_MAX_DEPTH`; default 12. Nested selection levels (the workload's deepest has 8). */
  readonly depth: number;
  /** `QUERY_MAX_ALIASES`; default 30. Aliased fields in one document. */
  readonly aliases: number;
  /** `QUERY_MAX_DIRECTIVES`; default 30. Directives in one document. */
  readonly directives: number;
  /** `QUERY_MAX_TOKENS`; default 3000. Lexical tokens in one document (refused while parsing). */
  readonly tokens: number;
  /**
   * `QUERY_MAX_COST`; default 20000. Objects an operation may resolve at most, with each list's
   * size multiplied through: `first` (or its schema default), a list argument's length, else
   * `QUERY_ASSUMED_LIST_SIZE`. The workload's catalog page costs about 650.
   */
  readonly cost: number;
  /** `QUERY_ASSUMED_LIST_SIZE`; default 10. The size counted for a list with no `first` (an order's items). */
  readonly assumedListSize: number;
}

export interface SecurityConfig {
  readonly rateLimits: RateLimitConfig;
  readonly queryLimits: QueryLimitConfig;
  /** `PERSISTED_QUERIES_TTL_SECONDS`; default 86400. How long an automatic persisted query stays registered (in Redis when there is one). */
  readonly persistedQueriesTtlSeconds: number;
  /**
   * `PERSISTED_DOCUMENTS_ONLY`; default false. True: only the documents of the manifest are
   * executed (by hash alone, or sent whole); anything else answers PERSISTED_DOCUMENT_NOT_REGISTERED.
   */
  readonly persistedDocumentsOnly: boolean;
  /** `PERSISTED_DOCUMENTS_MANIFEST`; default `persisted-documents.json`. The manifest (sha256 -> document), built by `npm run persisted:manifest`. */
  readonly persistedDocumentsManifest: string;
  /** `GRAPHQL_INTROSPECTION`; default false in production, else true. */
  readonly introspection: boolean;
  /** `GRAPHQL_SANDBOX`; default false in production, else true. The Apollo Sandbox landing page on GET /graphql. */
  readonly sandbox: boolean;
  /**
   * `AUDIT_LOG`; default `stdout` (`off` under test). Where audit lines go: `stdout`, `stderr`, `off`, or a file
   * path (appended to). Each line is JSON with `"log":"audit"`.
   */
  readonly auditLog: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be one of ${allowed.join(', ')}; got "${raw}".`);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${raw}".`);
  }
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false; got "${raw}".`);
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL (expected ${protocols[0]}//host:port/...).`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.join(' or ')}; got "${parsed.protocol}".`);
  }
  return raw;
}

function keyPrefix(env: Env, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(raw)) {
    throw new ConfigError(`${name} must be 1 to 40 letters, digits, '_', '.' or '-'; got "${raw}".`);
  }
  return raw;
}

function secrets(env: Env, name: string, required: boolean): string[] | undefined {
  const raw = env[name];
  if (!raw) {
    if (required) throw new ConfigError(`${name} is required in production with SESSION_REDIS_URL: set it to a long random string (e.g. openssl rand -base64 32).`);
    return undefined;
  }
  const list = raw.split(',').map((secret) => secret.trim());
  if (list.some((secret) => secret.length < 16)) throw new ConfigError(`${name} must hold secrets of at least 16 characters each (comma-separated).`);
  return list;
}

function atLeast(name: string, value: number, otherName: string, other: number): number {
  if (value < other) throw new ConfigError(`${name} (${value}) must not be shorter than ${otherName} (${other}).`);
  return value;
}

function origins(env: Env, name: string): string[] {
  const raw = env[name];
  if (!raw) return [];
  return raw.split(',').map((origin) => {
    const trimmed = origin.trim();
    if (!/^https?:\/\/[^/\s*]+$/.test(trimmed)) {
      throw new ConfigError(`${name} must list origins like https://shop.example.com; got "${trimmed}".`);
    }
    return trimmed;
  });
}

function certificateAuthority(env: Env, name: string, tlsUrls: (string | undefined)[]): string | undefined {
  const path = env[name];
  if (!path) return undefined;
  if (!tlsUrls.some((value) => value?.startsWith('rediss:'))) {
    throw new ConfigError(`${name} is set, but no Redis URL uses TLS: write REDIS_URL as rediss://... or unset ${name}.`);
  }
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${name} names "${path}", which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`${name} names "${path}", which holds no PEM certificate (-----BEGIN CERTIFICATE-----).`);
  }
  return pem;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const sessionRedisUrl = url(env, 'SESSION_REDIS_URL', ['redis:', 'rediss:']);
  const cacheKeyPrefix = keyPrefix(env, 'CACHE_KEY_PREFIX', 'sf');
  const sessionTtlSeconds = integer(env, 'SESSION_TTL_SECONDS', 7 * 24 * 3600, 1, 365 * 24 * 3600);
  return Object.freeze({
    nodeEnv,
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    databasePoolMax: integer(env, 'DATABASE_POOL_MAX', 10, 1, 1000),
    embeddedDataDir: env.EMBEDDED_DATA_DIR || '.data/pglite',
    redisUrl,
    redisTlsCa: certificateAuthority(env, 'REDIS_TLS_CA_FILE', [redisUrl, sessionRedisUrl]),
    sessionRedisUrl,
    sessionKeyPrefix: keyPrefix(env, 'SESSION_KEY_PREFIX', `${cacheKeyPrefix.slice(0, 35)}-sess`),
    sessionSecrets: secrets(env, 'SESSION_SECRET', nodeEnv === 'production' && sessionRedisUrl !== undefined),
    sessionAbsoluteTtlSeconds: atLeast(
      'SESSION_ABSOLUTE_TTL_SECONDS',
      integer(env, 'SESSION_ABSOLUTE_TTL_SECONDS', Math.max(30 * 24 * 3600, sessionTtlSeconds), 1, 5 * 365 * 24 * 3600),
      'SESSION_TTL_SECONDS',
      sessionTtlSeconds,
    ),
    seedSize: oneOf(env, 'SEED_SIZE', ['demo', 'bench'] as const, 'demo'),
    seedOnEmpty: flag(env, 'SEED_ON_EMPTY', databaseUrl === undefined),
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      nodeEnv === 'test' ? 'silent' : 'info',
    ),
    sessionTtlSeconds,
    cookieSecure: flag(env, 'COOKIE_SECURE', nodeEnv === 'production'),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    cacheEnabled: flag(env, 'CACHE_ENABLED', true),
    cacheKeyPrefix,
    cacheL1MaxEntries: integer(env, 'CACHE_L1_MAX_ENTRIES', 100_000, 1, 10_000_000),
    cacheL1MaxMb: integer(env, 'CACHE_L1_MAX_MB', 256, 1, 65_536),
    cacheL1MaxTtlMs: integer(env, 'CACHE_L1_MAX_TTL_MS', 30_000, 0, 3_600_000),
    cacheDefaultTtlSeconds: integer(env, 'CACHE_DEFAULT_TTL_SECONDS', 60, 1, 7 * 24 * 3600),
    redisCommandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 250, 10, 60_000),
    cacheAckTimeoutMs: integer(env, 'CACHE_ACK_TIMEOUT_MS', 500, 10, 60_000),
    cacheSubscriberProbeMs: integer(env, 'CACHE_SUBSCRIBER_PROBE_MS', 1000, 0, 600_000),
    httpSharedMaxAgeSeconds: integer(env, 'HTTP_SHARED_MAX_AGE_SECONDS', 0, 0, 7 * 24 * 3600),
    cachePurgeWebhookUrl: url(env, 'CACHE_PURGE_WEBHOOK_URL', ['https:', 'http:']),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    outboxPollMs: integer(env, 'OUTBOX_POLL_MS', 1000, 10, 600_000),
    outboxPublishDelayMs: integer(env, 'OUTBOX_PUBLISH_DELAY_MS', 2000, 0, 3_600_000),
    outboxBatchSize: integer(env, 'OUTBOX_BATCH_SIZE', 100, 1, 10_000),
    outboxRetentionHours: integer(env, 'OUTBOX_RETENTION_HOURS', 24, 1, 24 * 365),
    liveConnectionInitTimeoutMs: integer(env, 'LIVE_CONNECTION_INIT_TIMEOUT_MS', 3000, 10, 600_000),
    subscriptionsPerSocketMax: integer(env, 'SUBSCRIPTIONS_PER_SOCKET_MAX', 50, 1, 10_000),
    liveSocketsPerAddressMax: integer(env, 'LIVE_SOCKETS_PER_ADDRESS_MAX', 200, 1, 1_000_000),
    liveStreamMaxLen: integer(env, 'LIVE_STREAM_MAXLEN', 1000, 1, 1_000_000),
    liveStreamTtlSeconds: integer(env, 'LIVE_STREAM_TTL_SECONDS', 3600, 1, 30 * 24 * 3600),
    liveKeepAliveMs: integer(env, 'LIVE_KEEPALIVE_MS', 12_000, 0, 600_000),
    liveMaxMessageBytes: integer(env, 'LIVE_MAX_MESSAGE_BYTES', 65_536, 1024, 16 * 1024 * 1024),
    liveMaxBufferedBytes: integer(env, 'LIVE_MAX_BUFFERED_BYTES', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    trustProxyHops: integer(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
    security: securityConfig(env, nodeEnv),
  });
}

function securityConfig(env: Env, nodeEnv: NodeEnv): SecurityConfig {
  const production = nodeEnv === 'production';
  return Object.freeze({
    rateLimits: Object.freeze({
      enabled: flag(env, 'RATE_LIMIT_ENABLED', true),
      windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 24 * 3600),
      perAddress: integer(env, 'RATE_LIMIT_PER_ADDRESS', 600, 1, 10_000_000),
      perUser: integer(env, 'RATE_LIMIT_PER_USER', 600, 1, 10_000_000),
      loginFailureWindowSeconds: integer(env, 'LOGIN_FAILURE_WINDOW_SECONDS', 900, 1, 7 * 24 * 3600),
      loginFailuresPerAccount: integer(env, 'LOGIN_FAILURES_PER_ACCOUNT', 5, 1, 10_000),
      loginFailuresPerAddress: integer(env, 'LOGIN_FAILURES_PER_ADDRESS', 20, 1, 100_000),
    }),
    queryLimits: Object.freeze({
      depth: integer(env, 'QUERY_MAX_DEPTH', 12, 0, 1000),
      aliases: integer(env, 'QUERY_MAX_ALIASES', 30, 0, 100_000),
      directives: integer(env, 'QUERY_MAX_DIRECTIVES', 30, 0, 100_000),
      tokens: integer(env, 'QUERY_MAX_TOKENS', 3000, 0, 1_000_000),
      cost: integer(env, 'QUERY_MAX_COST', 20_000, 0, 1_000_000_000),
      assumedListSize: integer(env, 'QUERY_ASSUMED_LIST_SIZE', 10, 1, 10_000),
    }),
    persistedQueriesTtlSeconds: integer(env, 'PERSISTED_QUERIES_TTL_SECONDS', 24 * 3600, 1, 365 * 24 * 3600),
    persistedDocumentsOnly: flag(env, 'PERSISTED_DOCUMENTS_ONLY', false),
    persistedDocumentsManifest: env.PERSISTED_DOCUMENTS_MANIFEST || 'persisted-documents.json',
    introspection: flag(env, 'GRAPHQL_INTROSPECTION', !production),
    sandbox: flag(env, 'GRAPHQL_SANDBOX', !production),
    auditLog: env.AUDIT_LOG || (nodeEnv === 'test' ? 'off' : 'stdout'),
  });
}
