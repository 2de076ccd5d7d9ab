import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('has documented defaults: port 4000, embedded database, demo seed on empty', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 4000,
      databaseUrl: undefined,
      redisUrl: undefined,
      seedOnEmpty: true,
      seedSize: 'demo',
      cookieSecure: false,
      corsOrigins: [],
      cacheDefaultTtlSeconds: 60,
      httpSharedMaxAgeSeconds: 0,
      cachePurgeWebhookUrl: undefined,
      outboxPollMs: 1000,
      outboxPublishDelayMs: 2000,
      outboxBatchSize: 100,
      outboxRetentionHours: 24,
      liveConnectionInitTimeoutMs: 3000,
      subscriptionsPerSocketMax: 50,
      liveSocketsPerAddressMax: 200,
      liveStreamMaxLen: 1000,
      liveStreamTtlSeconds: 3600,
      liveKeepAliveMs: 12000,
      liveMaxMessageBytes: 65536,
      liveMaxBufferedBytes: 4 * 1024 * 1024,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('has documented session defaults: PostgreSQL, no secret, 7 days sliding, 30 days absolute, a prefix beside the cache\'s', () => {
    expect(loadConfig({ CACHE_KEY_PREFIX: 'shop' })).toMatchObject({
      sessionRedisUrl: undefined,
      sessionSecrets: undefined,
      sessionTtlSeconds: 7 * 24 * 3600,
      sessionAbsoluteTtlSeconds: 30 * 24 * 3600,
      sessionKeyPrefix: 'shop-sess',
    });
    expect(loadConfig({ SESSION_SECRET: 'first-secret-signs, second-secret-checks' }).sessionSecrets).toEqual(['first-secret-signs', 'second-secret-checks']);
    // Production without a sessions Redis signs no cookie, so needs no secret.
    expect(loadConfig({ NODE_ENV: 'production' }).sessionSecrets).toBeUndefined();
  });

  it('does not seed a configured database unless asked', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db' }).seedOnEmpty).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db', SEED_ON_EMPTY: 'true' }).seedOnEmpty).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be a whole number/],
    [{ PORT: '70000' }, /PORT must be a whole number from 0 to 65535/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV must be one of development, production, test/],
    [{ DATABASE_URL: 'mysql://h/db' }, /DATABASE_URL must start with postgres: or postgresql:/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a valid URL/],
    [{ REDIS_URL: 'http://h' }, /REDIS_URL must start with redis: or rediss:/],
    [{ SEED_SIZE: 'huge' }, /SEED_SIZE must be one of demo, bench/],
    [{ COOKIE_SECURE: 'maybe' }, /COOKIE_SECURE must be true or false/],
    [{ CORS_ORIGINS: '*' }, /CORS_ORIGINS must list origins/],
    [{ HTTP_SHARED_MAX_AGE_SECONDS: '-1' }, /HTTP_SHARED_MAX_AGE_SECONDS must be a whole number from 0 to 604800/],
    [{ CACHE_PURGE_WEBHOOK_URL: 'ftp://cdn/purge' }, /CACHE_PURGE_WEBHOOK_URL must start with https: or http:/],
    [{ CACHE_DEFAULT_TTL_SECONDS: '0' }, /CACHE_DEFAULT_TTL_SECONDS must be a whole number from 1 to 604800/],
    [{ REDIS_URL: 'redis://h', REDIS_TLS_CA_FILE: __filename }, /REDIS_TLS_CA_FILE is set, but no Redis URL uses TLS/],
    [{ REDIS_URL: 'rediss://h', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }, /REDIS_TLS_CA_FILE names "\/nonexistent\/ca.pem", which cannot be read \(ENOENT\)/],
    [{ REDIS_URL: 'rediss://h', REDIS_TLS_CA_FILE: __filename }, /REDIS_TLS_CA_FILE names .* which holds no PEM certificate/],
    [{ OUTBOX_POLL_MS: '5' }, /OUTBOX_POLL_MS must be a whole number from 10 to 600000/],
    [{ OUTBOX_PUBLISH_DELAY_MS: '-1' }, /OUTBOX_PUBLISH_DELAY_MS must be a whole number from 0 to 3600000/],
    [{ OUTBOX_BATCH_SIZE: '0' }, /OUTBOX_BATCH_SIZE must be a whole number from 1 to 10000/],
    [{ OUTBOX_RETENTION_HOURS: '1.5' }, /OUTBOX_RETENTION_HOURS must be a whole number from 1 to 8760/],
    [{ NODE_ENV: 'production', SESSION_REDIS_URL: 'redis://s' }, /SESSION_SECRET is required in production with SESSION_REDIS_URL/],
    [{ SESSION_SECRET: 'long-enough-secret-1,short' }, /SESSION_SECRET must hold secrets of at least 16 characters/],
    [{ SESSION_TTL_SECONDS: '600', SESSION_ABSOLUTE_TTL_SECONDS: '60' }, /SESSION_ABSOLUTE_TTL_SECONDS \(60\) must not be shorter than SESSION_TTL_SECONDS \(600\)/],
    [{ SESSION_REDIS_URL: 'http://s' }, /SESSION_REDIS_URL must start with redis: or rediss:/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the outbox relay\'s settings', () => {
    expect(
      loadConfig({ OUTBOX_POLL_MS: '250', OUTBOX_PUBLISH_DELAY_MS: '0', OUTBOX_BATCH_SIZE: '500', OUTBOX_RETENTION_HOURS: '48' }),
    ).toMatchObject({ outboxPollMs: 250, outboxPublishDelayMs: 0, outboxBatchSize: 500, outboxRetentionHours: 48 });
  });

  it('has documented security defaults; production closes introspection and Sandbox', () => {
    const config = loadConfig({});
    expect(config.trustProxyHops).toBe(0);
    expect(config.security).toEqual({
      rateLimits: {
        enabled: true,
        windowSeconds: 60,
        perAddress: 600,
        perUser: 600,
        loginFailureWindowSeconds: 900,
        loginFailuresPerAccount: 5,
        loginFailuresPerAddress: 20,
      },
      queryLimits: { depth: 12, aliases: 30, directives: 30, tokens: 3000, cost: 20000, assumedListSize: 10 },
      persistedQueriesTtlSeconds: 86400,
      persistedDocumentsOnly: false,
      persistedDocumentsManifest: 'persisted-documents.json',
      introspection: true,
      sandbox: true,
      auditLog: 'stdout',
    });
    expect(Object.isFrozen(config.security.rateLimits)).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).security).toMatchObject({ introspection: false, sandbox: false, auditLog: 'stdout' });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true', GRAPHQL_SANDBOX: 'yes' }).security).toMatchObject({ introspection: true, sandbox: true });
    expect(loadConfig({ NODE_ENV: 'test' }).security.auditLog).toBe('off');
  });

  it.each([
    [{ RATE_LIMIT_PER_ADDRESS: '0' }, /RATE_LIMIT_PER_ADDRESS must be a whole number from 1/],
    [{ RATE_LIMIT_WINDOW_SECONDS: 'soon' }, /RATE_LIMIT_WINDOW_SECONDS must be a whole number/],
    [{ QUERY_MAX_DEPTH: '-1' }, /QUERY_MAX_DEPTH must be a whole number from 0 to 1000/],
    [{ TRUST_PROXY_HOPS: '11' }, /TRUST_PROXY_HOPS must be a whole number from 0 to 10/],
    [{ PERSISTED_DOCUMENTS_ONLY: 'sometimes' }, /PERSISTED_DOCUMENTS_ONLY must be true or false/],
  ])('refuses the security setting %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('production defaults to secure cookies', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).cookieSecure).toBe(true);
  });
});
