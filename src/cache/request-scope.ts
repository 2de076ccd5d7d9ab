/**
 * What one request is, did and touched, carried by AsyncLocalStorage so the layers that count
 * (and the error formatter) need not know about requests: its id, cache hits and misses, SQL
 * statements, Redis round trips, and the provenance of its answer: the tags of everything it was
 * built from, each with the Redis version that part was checked against (the whole-response
 * tier files the response under them). A cached field computes inside a provenance of its own,
 * nested in the request's, so it too is stored with the versions of what it read.
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

/**
 * The version recorded for a tag when the parts read under it disagree, or one part's is not
 * known (read without Redis): no version Redis holds ever equals it, so a value built from them
 * is never served from Redis.
 */
export const UNKNOWN_VERSION = '?';

/** Tags a value was built from, each with the Redis version its parts were checked against. */
export interface Provenance {
  tags: Set<string>;
  versions: Map<string, string>;
}

export interface RequestScope extends Provenance {
  /** The id the client sees in `X-Request-Id`; logs and internal errors carry it. */
  id: string;
  stats: RequestStats;
  /** Tags of every cached entity and field this request read or computed. */
  tags: Set<string>;
  /**
   * Per tag, the version what the answer read under it was checked against: a value from this
   * instance's L1 may predate a write Redis knows of but this instance has not yet heard of, so a
   * whole response records its parts' versions, not those current when it is stored.
   */
  versions: Map<string, string>;
  /**
   * A whole-response lookup already made for this request (so it is not made twice); `share`
   * hands the computed response (or undefined: none to share) to requests waiting for it.
   */
  responseLookup?: { key: string; token: FillToken; share?: (json: string | undefined) => void };
  /** Present when the request asked for the cache debugger and may have it. */
  debug?: CacheDebug;
}

const storage = new AsyncLocalStorage<RequestScope>();
/** The provenances open around the current computation, innermost first. */
const provenances = new AsyncLocalStorage<readonly Provenance[]>();

export function newRequestScope(id: string): RequestScope {
  return { id, stats: { hits: 0, misses: 0, stale: 0, sqlStatements: 0, redisRoundTrips: 0 }, tags: new Set(), versions: new Map() };
}

/** Runs `fn` (the rest of the request) in `scope`. */
export function withRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the request being served, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** A provenance to collect what `fn` reads, nested in those already open (the request's too). */
export function withProvenance<T>(fn: () => T): { provenance: Provenance; result: T } {
  const provenance: Provenance = { tags: new Set(), versions: new Map() };
  const result = provenances.run([provenance, ...(provenances.getStore() ?? [])], fn);
  return { provenance, result };
}

/**
 * Records that what is being built read `tags`, checked against Redis at `versions` (undefined,
 * or a tag missing from it: not known), in the current request's provenance and every nested one.
 */
export function touchTags(tags: Iterable<string>, versions: Readonly<Record<string, string>> | ReadonlyMap<string, string> | undefined): void {
  const scope = storage.getStore();
  const open = provenances.getStore() ?? [];
  if (!scope && open.length === 0) return;
  const versionOf = (tag: string) => (versions instanceof Map ? versions.get(tag) : (versions as Record<string, string> | undefined)?.[tag]);
  for (const tag of tags) {
    const version = versionOf(tag) || UNKNOWN_VERSION;
    for (const into of scope ? [scope, ...open] : open) {
      into.tags.add(tag);
      const earlier = into.versions.get(tag);
      if (earlier === undefined) into.versions.set(tag, version);
      else if (earlier !== version) into.versions.set(tag, UNKNOWN_VERSION);
    }
  }
}
