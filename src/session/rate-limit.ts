/**
 * One rate limit (points per window, per key) kept in Redis, shared by every instance, or in
 * process memory when there is no Redis. It fails open: a Redis that is away, slow or failing
 * lets the request through (and says so through `onUnavailable`), because refusing every
 * client while Redis is away would turn a cache outage into a full one.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { withTimeout } from '../cache/redis-store';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface RateLimitOptions {
  /** Names the limit in keys, metrics, logs and the refusal (`extensions.limit`). */
  name: string;
  /** Points (requests, failures) allowed per window. */
  points: number;
  windowSeconds: number;
  /** Absent: counted in this process's memory (a single instance). */
  redis?: Redis;
  /** Redis keys are `<keyPrefix>:rl:<name>:<key>`. */
  keyPrefix: string;
  /** Default 250. A slower Redis call lets the request through. */
  timeoutMs?: number;
  /**
   * Default true. Once a key is over its limit, this instance refuses it from memory until the
   * window ends, without asking Redis: a flood from one address costs no Redis calls.
   */
  blockInMemory?: boolean;
  /** Told about every call that failed open (Redis away, slow or erroring). */
  onUnavailable?: (limit: string, error: unknown) => void;
}

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const ALLOWED: RateLimitVerdict = { allowed: true };

export class RateLimit {
  readonly name: string;
  readonly points: number;
  private readonly limiter: RateLimiterAbstract;
  private readonly timeoutMs: number;

  constructor(private readonly options: RateLimitOptions) {
    this.name = options.name;
    this.points = options.points;
    this.timeoutMs = options.timeoutMs ?? 250;
    const common = { keyPrefix: `${options.keyPrefix}:rl:${options.name}`, points: options.points, duration: options.windowSeconds };
    this.limiter = options.redis
      ? new RateLimiterRedis({
          ...common,
          storeClient: options.redis,
          // Refuse to queue while disconnected: fail open at once instead.
          rejectIfRedisNotReady: true,
          ...(options.blockInMemory === false ? {} : { inMemoryBlockOnConsumed: options.points + 1 }),
        })
      : new RateLimiterMemory(common);
  }

  /** Counts one point against `key`: refused once more than `points` were counted this window. */
  async consume(key: string, points = 1): Promise<RateLimitVerdict> {
    try {
      await this.timed(this.limiter.consume(key, points));
      return ALLOWED;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return refused(outcome.msBeforeNext);
      this.options.onUnavailable?.(this.name, outcome);
      return ALLOWED;
    }
  }

  /** Whether `key` has used up its points this window, without counting anything. */
  async check(key: string): Promise<RateLimitVerdict> {
    try {
      const state = await this.timed(this.limiter.get(key));
      return state && state.consumedPoints >= this.points ? refused(state.msBeforeNext) : ALLOWED;
    } catch (error) {
      this.options.onUnavailable?.(this.name, error);
      return ALLOWED;
    }
  }

  /** Forgets `key`'s count (a sign-in that succeeded). */
  async reset(key: string): Promise<void> {
    try {
      await this.timed(this.limiter.delete(key));
    } catch (error) {
      this.options.onUnavailable?.(this.name, error);
    }
  }

  private timed<T>(call: Promise<T>): Promise<T> {
    return withTimeout(call, this.timeoutMs, `rate limit ${this.name}`);
  }
}

function refused(msBeforeNext: number): RateLimitVerdict {
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)) };
}

/** Keys never hold an email or other personal data as written: a short hash of it. */
export function hashedKey(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}
