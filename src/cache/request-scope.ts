/**
 * What one request is, did and touched, carried by AsyncLocalStorage so the layers that count
 * (and the error formatter) need not know about requests: its id, cache hits and misses, SQL
 * statements, Redis round trips, and the tags of everything the response was built from (the
 * whole-response tier files the response under them).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CacheDebug } from './cache-debug';
import type { FillToken } from './two-tier-cache';

export interface RequestStats {
  hits: number;
  misses: number;
  stale: number;
  sqlStatements: number;
  redisRoundTrips: number;
}

export interface RequestScope {
  /** The id the client sees in `X-Request-Id`; logs and internal errors carry it. */
  id: string;
  stats: RequestStats;
  /** Tags of every cached entity and field this request read or computed. */
  tags: Set<string>;
  /**
   * A whole-response lookup already made for this request (so it is not made twice); `share`
   * hands the computed response (or undefined: none to share) to requests waiting for it.
   */
  responseLookup?: { key: string; token: FillToken; share?: (json: string | undefined) => void };
  /** Present when the request asked for the cache debugger and may have it. */
  debug?: CacheDebug;
  /**
   * Per tag, the oldest `since` of what the answer read under it ('0' when unknown): a value from
   * this instance's L1 may predate a write Redis knows of but this instance has not yet heard,
   * so a whole response is dated by its parts, not by its own lookup.
   */
  builtSince: Map<string, string>;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function newRequestScope(id: string): RequestScope {
  return { id, stats: { hits: 0, misses: 0, stale: 0, sqlStatements: 0, redisRoundTrips: 0 }, tags: new Set(), builtSince: new Map() };
}

/** Runs `fn` (the rest of the request) in `scope`. */
export function withRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the request being served, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/**
 * Records that the current request's answer was built from `tags`, of data read or checked
 * when Redis's invalidation counter stood at `since` (undefined: unknown, oldest).
 */
export function touchTags(tags: Iterable<string>, since: string | undefined): void {
  const scope = storage.getStore();
  if (!scope) return;
  const dated = since ?? '0';
  for (const tag of tags) {
    scope.tags.add(tag);
    const earlier = scope.builtSince.get(tag);
    if (earlier === undefined || Number(dated) < Number(earlier)) scope.builtSince.set(tag, dated);
  }
}
