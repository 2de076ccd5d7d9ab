/**
 * Per-request counts (cache hits and misses, SQL statements, Redis round trips), carried by
 * AsyncLocalStorage so the layers that count need not know about requests. Read back at the end
 * of a request for the development summary in `extensions.cache`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestStats {
  hits: number;
  misses: number;
  stale: number;
  sqlStatements: number;
  redisRoundTrips: number;
}

const storage = new AsyncLocalStorage<RequestStats>();

export function newRequestStats(): RequestStats {
  return { hits: 0, misses: 0, stale: 0, sqlStatements: 0, redisRoundTrips: 0 };
}

/** Runs `fn` (the rest of the request) with its own counts. */
export function withRequestStats<T>(stats: RequestStats, fn: () => T): T {
  return storage.run(stats, fn);
}

/** The counts of the request being served, if any. */
export function currentRequestStats(): RequestStats | undefined {
  return storage.getStore();
}
