/**
 * Forwards the tags of each invalidation to an operator's endpoint, which passes them on to a
 * CDN's purge-by-tag API (Fastly's surrogate keys, Cloudflare's cache tags, ...). Best effort
 * and off the write's path: the API's own guarantee never rests on a CDN, and by default CDNs
 * revalidate every answer anyway (see `cache/http-caching.ts`).
 */
import type { Logger } from './logger';

export interface PurgeWebhookOptions {
  url: string;
  logger: Logger;
  /** Default 5000. A slower endpoint's call is abandoned (and logged). */
  timeoutMs?: number;
}

/** Returns the `onInvalidation` hook that POSTs `{"tags":[...]}` to `url`. */
export function createPurgeWebhook(options: PurgeWebhookOptions): (tags: readonly string[]) => void {
  const timeoutMs = options.timeoutMs ?? 5000;
  return (tags) => {
    fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tags }),
      signal: AbortSignal.timeout(timeoutMs),
    })
      .then((response) => {
        if (!response.ok) options.logger.warn({ status: response.status, tags: tags.length }, 'cache: the purge webhook refused tags');
        return response.body?.cancel();
      })
      .catch((err: unknown) => options.logger.warn({ err, tags: tags.length }, 'cache: the purge webhook could not be reached'));
  };
}
