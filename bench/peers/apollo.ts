/**
 * Lean peer 1: Apollo Server 5 as its documentation sets up a small API with a shared response
 * cache. `startStandaloneServer` (node:http, cors, body-parser; no Express), the catalog of
 * catalog.ts (pg + DataLoader), and `@apollo/server-plugin-response-cache` on Redis through
 * `@apollo/utils.keyvadapter`, `keyv` and `@keyv/redis`. The plugin caches only what cache-control
 * hints allow; the schema has none, so `ApolloServerPluginCacheControl({ defaultMaxAge })` makes
 * every query response public for PEER_TTL_SECONDS. The plugin has no invalidation: a price change
 * leaves cached pages as they were until they expire (the mixed run counts those stale reads).
 *
 * Environment: DATABASE_URL, DATABASE_POOL_MAX, BENCH_PEER_REDIS_URL, and BENCH_PEER_KEY_SPACE
 * (the Keyv namespace, fresh per process). Forked by bench/run.ts; speaks child.ts's IPC.
 */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { startStandaloneServer } from '@apollo/server/standalone';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { serveBench } from '../child';
import { createCatalog, PEER_TTL_SECONDS, peerCounters, requestContext, resolvers, typeDefs, type PeerContext } from './catalog';
import { peerSettings } from './settings';

serveBench(async () => {
  const settings = peerSettings();
  const catalog = createCatalog(settings);

  const counts = { redisRoundTrips: 0, hits: 0, misses: 0, errors: 0, handled: 0, inFlight: 0 };
  const pending = new Set<Promise<unknown>>();
  const track = <T>(call: () => Promise<T>): Promise<T> => {
    counts.redisRoundTrips += 1;
    const promise = call();
    pending.add(promise);
    const forget = () => pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  };
  // Each store call is one Redis command (GET, MGET of a batch, SET): counted where it is sent.
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
  const store = new CountingKeyvRedis(settings.redisUrl);
  const keyv = new Keyv<string>({ store, namespace: settings.keySpace });
  // Keyv and the plugin swallow store failures (a failed read is a miss): count them instead.
  const countError = () => {
    counts.errors += 1;
  };
  store.on('error', countError);
  keyv.on('error', countError);

  // Standalone keeps its HTTP server to itself, so requests are counted from Apollo's own hooks:
  // every POST the driver sends reaches them, and willSendResponse ends each one, hit or not.
  const counting: ApolloServerPlugin<PeerContext> = {
    async requestDidStart() {
      counts.inFlight += 1;
      return {
        async willSendResponse({ operation, metrics }) {
          counts.inFlight -= 1;
          counts.handled += 1;
          if (operation?.operation !== 'query') return;
          if (metrics.responseCacheHit) counts.hits += 1;
          else counts.misses += 1;
        },
      };
    },
  };

  const server = new ApolloServer<PeerContext>({
    typeDefs,
    resolvers,
    plugins: [
      ApolloServerPluginCacheControl({ defaultMaxAge: PEER_TTL_SECONDS }),
      responseCachePlugin({ cache: new KeyvAdapter(keyv) }),
      counting,
    ],
  });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => requestContext(catalog, req.headers.authorization),
  });

  const settled = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };
  return {
    url,
    counters: () => peerCounters(catalog, counts, counts),
    settled,
    stop: async () => {
      await server.stop();
      await settled();
      await keyv.disconnect().catch(() => undefined);
      await catalog.close();
    },
  };
});
