/**
 * The peer the benchmark compares against: the same app, schema and data with our cache off
 * (CACHE_ENABLED=false) and Apollo's whole-response cache in its place, as its documentation sets
 * it up: `@apollo/server-plugin-response-cache` on Redis through `@apollo/utils.keyvadapter`,
 * `keyv` and `@keyv/redis`. The plugin caches only what cache-control hints allow, so Apollo's
 * cache-control plugin comes too, with a `defaultMaxAge` (the schema has no `@cacheControl`
 * hints: every query response is cacheable, public, for PEER_MAX_AGE_SECONDS).
 *
 * Benchmark-only (development dependencies); nothing in src/ knows about it. bench/server.ts
 * builds it when BENCH_PEER=apollo-response-cache. It counts what the server needs to report:
 * Redis commands (one per store call: GET, MGET of a batch, SET), responses served from the
 * cache and responses executed, and store calls still in flight (the plugin writes in the
 * background, so "settled" waits for them).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';

export const PEER_ID = 'apollo-response-cache';

/**
 * How long the peer keeps a response. 300 s, our Product's TTL: with 60 s, the entries a warming
 * pass over 10,000 product pages wrote first (it takes 40 to 60 s here) expired during the warm
 * window, which then measured misses. Longer never makes the peer slower, and nothing in a run
 * depends on its entries expiring (it has no invalidation either way).
 */
export const PEER_MAX_AGE_SECONDS = 300;

export interface PeerCounters {
  /** Store calls sent to Redis (each is one command, one round trip). */
  redisRoundTrips: number;
  /** Query responses served from the response cache. */
  hits: number;
  /** Query responses that executed (the cache had nothing for them). */
  misses: number;
  /** Store calls that failed (the plugin and Keyv swallow them). */
  errors: number;
}

export interface Peer {
  plugins: ApolloServerPlugin<any>[];
  counters: PeerCounters;
  /** Resolves when no store call is in flight (background writes included). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export function createPeer(options: { redisUrl: string; namespace: string }): Peer {
  const counters: PeerCounters = { redisRoundTrips: 0, hits: 0, misses: 0, errors: 0 };
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(call: () => Promise<T>): Promise<T> => {
    counters.redisRoundTrips += 1;
    const promise = call();
    inFlight.add(promise);
    const forget = () => inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  };

  // One subclass, so each store call is counted where it becomes one Redis command.
  class CountingKeyvRedis extends KeyvRedis<string> {
    override get<U = string>(key: string): Promise<U | undefined> {
      return track(() => super.get<U>(key));
    }
    override getMany<U = string>(keys: string[]): Promise<Array<U | undefined>> {
      return track(() => super.getMany<U>(keys));
    }
    override set(key: string, value: string, ttl?: number): Promise<void> {
      return track(() => super.set(key, value, ttl));
    }
    override delete(key: string): Promise<boolean> {
      return track(() => super.delete(key));
    }
  }

  const store = new CountingKeyvRedis(options.redisUrl);
  store.on('error', () => {
    counters.errors += 1;
  });
  const keyv = new Keyv<string>({ store, namespace: options.namespace });
  keyv.on('error', () => {
    counters.errors += 1;
  });

  const counting: ApolloServerPlugin<any> = {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, metrics }) {
          if (operation?.operation !== 'query') return;
          if (metrics.responseCacheHit) counters.hits += 1;
          else counters.misses += 1;
        },
      };
    },
  };

  return {
    plugins: [
      ApolloServerPluginCacheControl({ defaultMaxAge: PEER_MAX_AGE_SECONDS }),
      responseCachePlugin({ cache: new KeyvAdapter(keyv) }),
      counting,
    ],
    counters,
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async close() {
      await this.settled();
      await keyv.disconnect().catch(() => undefined);
    },
  };
}
