/**
 * The rate limits, wired: per client address on every GraphQL request (before anything else,
 * the front door's cached answers included), per signed-in user once the session is known, and
 * failed sign-ins per account and per address (see session/login-throttle).
 *
 * Why the address limit sits in front of the front door: a client refused everywhere else
 * would otherwise get every cached answer unlimited, and the cached answers are exactly what a
 * scraper wants. It is the same Redis limiter as elsewhere, not a per-instance memory
 * pre-check, so the limit holds across instances (N instances behind a balancer would
 * otherwise allow N times the limit). The price is one Redis round trip per request
 * (pipelined with the request's other commands); an address over its limit is refused from
 * this instance's memory until its window ends, so a flood costs no Redis calls.
 */
import type { RequestListener } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type Redis from 'ioredis';
import type { RateLimitConfig } from '../config';
import { ErrorCode, RateLimitedError, rateLimitedMessage } from '../errors';
import type { Context } from '../modules/context';
import { LoginThrottle } from '../session/login-throttle';
import { RateLimit } from '../session/rate-limit';
import { JSON_TYPE } from '../cache/http-caching';
import { clientAddress } from './client-address';
import { requestErrorBody } from './http-errors';
import { assignRequestId } from './request-id';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export interface RateLimitingOptions {
  limits: RateLimitConfig;
  /** Absent: counted in this process's memory. */
  redis?: Redis;
  keyPrefix: string;
  timeoutMs: number;
  trustProxyHops: number;
  metrics: Metrics;
  logger: Logger;
}

export interface RateLimiting {
  /** Wraps the server's request listener: refuses GraphQL requests over the address's limit. */
  gate(path: string, next: RequestListener): RequestListener;
  /** Refuses operations of a signed-in user over their limit. */
  perUserPlugin: ApolloServerPlugin<Context>;
  loginThrottle: LoginThrottle;
}

export function createRateLimiting(options: RateLimitingOptions): RateLimiting {
  const { limits, metrics, logger } = options;
  let lastWarning = 0;
  const onUnavailable = (limit: string, error: unknown) => {
    metrics.rateLimiterUnavailable(limit);
    // One line a second at most: a dead Redis must not flood the logs.
    if (Date.now() - lastWarning < 1000) return;
    lastWarning = Date.now();
    logger.warn({ limit, err: error }, 'rate limits: Redis unavailable, letting requests through unchecked (failing open)');
  };
  const limit = (name: string, points: number, windowSeconds: number, blockInMemory = true) =>
    new RateLimit({ name, points, windowSeconds, redis: options.redis, keyPrefix: options.keyPrefix, timeoutMs: options.timeoutMs, blockInMemory, onUnavailable });

  const perAddress = limit('perAddress', limits.perAddress, limits.windowSeconds);
  const perUser = limit('perUser', limits.perUser, limits.windowSeconds);
  // A success resets an account's count on every instance: no memory block to outlive it.
  const loginThrottle = new LoginThrottle({
    perAccount: limit('loginPerAccount', limits.loginFailuresPerAccount, limits.loginFailureWindowSeconds, false),
    perAddress: limit('loginPerAddress', limits.loginFailuresPerAddress, limits.loginFailureWindowSeconds, false),
    onRefused: (name) => metrics.rateLimited(name),
  });

  return {
    gate: (path, next) => (req, res) => {
      const url = req.url ?? '';
      if (url !== path && !url.startsWith(`${path}?`)) return next(req, res);
      perAddress.consume(clientAddress(req, options.trustProxyHops)).then((verdict) => {
        if (verdict.allowed) return next(req, res);
        metrics.rateLimited(perAddress.name);
        assignRequestId(req, res);
        const body = requestErrorBody(rateLimitedMessage(verdict.retryAfterSeconds), ErrorCode.RateLimited, {
          limit: perAddress.name,
          retryAfterSeconds: verdict.retryAfterSeconds,
        });
        // Node discards an unread body to keep the connection; a large or unsized one is not
        // worth reading, so that connection closes instead (a reconnect costs both sides more).
        const length = Number(req.headers['content-length'] ?? 0);
        const unread = req.headers['transfer-encoding'] !== undefined || length > 64 * 1024;
        res.writeHead(429, {
          'content-type': JSON_TYPE,
          'content-length': Buffer.byteLength(body),
          'retry-after': String(verdict.retryAfterSeconds),
          ...(unread ? { connection: 'close' } : {}),
        });
        res.end(body);
      }, (error: unknown) => {
        onUnavailable(perAddress.name, error);
        next(req, res);
      });
    },
    perUserPlugin: {
      async requestDidStart() {
        return {
          async didResolveOperation({ contextValue }) {
            const userId = contextValue.viewer?.userId;
            if (userId === undefined) return;
            const verdict = await perUser.consume(String(userId));
            if (verdict.allowed) return;
            metrics.rateLimited(perUser.name);
            throw new RateLimitedError(perUser.name, verdict.retryAfterSeconds);
          },
        };
      },
    },
    loginThrottle,
  };
}
