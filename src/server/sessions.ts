/**
 * Picks where sessions live, once, at start: the session Redis when `SESSION_REDIS_URL` is set,
 * otherwise PostgreSQL (read through the cache when there is one). `REDIS_URL` alone never
 * carries sessions: the cache Redis may evict anything or be purged, and a session must not
 * end because of either. The start log says which.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import type { TwoTierCache } from '../cache/two-tier-cache';
import { createSessionClient } from '../redis/clients';
import { createRedisSessionStore } from '../session/redis-sessions';
import { createSessionResolver } from '../session/session-cache';
import { createPostgresSessionStore, type SessionStore } from '../session/session-store';
import type { Logger } from './logger';

export function createSessionStore(options: { config: Config; cache: TwoTierCache | undefined; logger: Logger }): SessionStore {
  const { config, logger } = options;
  if (!config.sessionRedisUrl) {
    logger.info(
      { sessions: 'postgres' },
      'sessions: in PostgreSQL (no SESSION_REDIS_URL); fixed lifetime of SESSION_TTL_SECONDS, unsigned cookie',
    );
    return createPostgresSessionStore({
      resolveSession: createSessionResolver({ cache: options.cache }),
      ttlSeconds: config.sessionTtlSeconds,
      cookieSecure: config.cookieSecure,
    });
  }
  let secrets = config.sessionSecrets;
  if (!secrets) {
    secrets = [randomBytes(32).toString('base64url')];
    logger.warn('sessions: SESSION_SECRET is not set; cookies are signed with a random secret of this process, so other instances and restarts will not accept them');
  }
  logger.info({ sessions: 'redis', prefix: config.sessionKeyPrefix }, 'sessions: in the session Redis (SESSION_REDIS_URL)');
  return createRedisSessionStore({
    client: createSessionClient({
      url: config.sessionRedisUrl,
      connectionName: 'storefront:sessions',
      tlsCa: config.redisTlsCa,
      onError: (err) => logger.warn({ err }, 'sessions: the session Redis connection failed; reconnecting'),
    }),
    prefix: config.sessionKeyPrefix,
    ttlSeconds: config.sessionTtlSeconds,
    absoluteTtlSeconds: config.sessionAbsoluteTtlSeconds,
    secrets,
    cookieSecure: config.cookieSecure,
  });
}
