/**
 * What a GET answer tells browsers and CDNs. The cache promises that no one sees a value older
 * than the last write that answered, and `max-age` would break that promise outside our reach:
 * so by default every cacheable answer carries a strong `ETag` and `no-cache` (keep the bytes,
 * ask before each use), and a revalidation costs a `304` from the response tier. An operator who
 * accepts bounded staleness at the CDN opts into `s-maxage`, never longer than the entry has
 * left; `Surrogate-Key` and `Cache-Tag` let such a CDN purge by the same tags writes drop.
 */
import { createHash } from 'node:crypto';
import Negotiator from 'negotiator';
import type { CacheEntry } from './l1';

export interface HttpCachingOptions {
  /**
   * Seconds a shared cache (CDN) may serve a public answer without asking; default 0: shared
   * caches revalidate like browsers. Capped by what remains of the answer's cache entry.
   */
  sharedMaxAgeSeconds?: number;
}

/** Who asked and what the answer is, as far as HTTP caches are concerned. */
export interface CacheableAnswer {
  /** The request carried credentials (see `ResponseCacheOptions.hasCredentials`). */
  credentialed: boolean;
  /** Some selected field is `PRIVATE`. */
  private: boolean;
  /** Seconds the answer's cache entry stays fresh. */
  remainingSeconds: number;
  /** Tags of everything the answer was built from. */
  tags: Iterable<string>;
}

export const JSON_TYPE = 'application/json; charset=utf-8';
export const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

/**
 * Which of the two JSON media types answers a request with this Accept header: the one Apollo
 * chooses, by the same negotiation (the `negotiator` package, offers in Apollo's order), so an
 * answer served before Apollo has the type Apollo would give it. No header means
 * `application/json`; undefined means neither is acceptable.
 */
export function responseType(accept: string | null | undefined): string | undefined {
  if (!accept) return JSON_TYPE;
  return new Negotiator({ headers: { accept } }).mediaType([JSON_TYPE, GRAPHQL_RESPONSE_TYPE]) ?? undefined;
}

/** For GET answers that must not be kept at all: errors, mutations, uncacheable fields. */
export const NOT_STORABLE: ReadonlyArray<[string, string]> = [['cache-control', 'no-store']];

/** Tag headers larger than this are left out: CDNs refuse (or cut) headers past 16 KB. */
const MAX_TAG_HEADER_BYTES = 8 * 1024;

const etags = new WeakMap<CacheEntry, string>();

/** A strong validator for `json`: equal bytes, equal tag. */
export function etagOf(json: string): string {
  return `"${createHash('sha1').update(json).digest('base64url')}"`;
}

/** `etagOf` an entry's stored answer, hashed once per entry however often it is served. */
export function etagOfEntry(entry: CacheEntry): string {
  let etag = etags.get(entry);
  if (!etag) {
    etag = etagOf(String(entry.value));
    etags.set(entry, etag);
  }
  return etag;
}

/** RFC 9110's weak comparison, which `If-None-Match` uses. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/** The caching headers of a cacheable GET answer whose validator is `etag`. */
export function httpCacheHeaders(answer: CacheableAnswer, etag: string, options: HttpCachingOptions = {}): [string, string][] {
  // A shared cache must never keep what depends on who asked: the browser alone may.
  if (answer.credentialed || answer.private) return [['etag', etag], ['cache-control', 'private, no-cache']];
  const sharedMaxAge = Math.min(options.sharedMaxAgeSeconds ?? 0, Math.floor(answer.remainingSeconds));
  const headers: [string, string][] = [
    ['etag', etag],
    ['cache-control', sharedMaxAge > 0 ? `public, max-age=0, s-maxage=${sharedMaxAge}` : 'public, no-cache'],
  ];
  const tags = [...new Set(answer.tags)].sort();
  const surrogateKey = tags.join(' ');
  if (tags.length > 0 && Buffer.byteLength(surrogateKey) <= MAX_TAG_HEADER_BYTES) {
    headers.push(['surrogate-key', surrogateKey], ['cache-tag', tags.join(',')]);
  }
  return headers;
}
