/**
 * Lean peer 2: GraphQL Yoga 5 as its documentation sets up a small API with a shared response
 * cache: `createYoga` on `node:http`, the catalog of catalog.ts (pg + DataLoader), and
 * `@graphql-yoga/plugin-response-cache` on Redis through `@envelop/response-cache-redis`
 * (ioredis). Every query response is cached for PEER_TTL_SECONDS (`ttl`), for everyone
 * (`session: () => null`: the reads are anonymous). Unlike Apollo's plugin, it invalidates by
 * entity: a response is filed under every `Type:id` it holds, and a mutation drops the responses
 * filed under the entities it returns (`updateProduct` returns `Product:<id>`), so a price change
 * drops that product's pages.
 *
 * Environment: DATABASE_URL, DATABASE_POOL_MAX, BENCH_PEER_REDIS_URL, and BENCH_PEER_KEY_SPACE
 * (the key prefix, fresh per process). Forked by bench/run.ts; speaks child.ts's IPC.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRedisCache } from '@envelop/response-cache-redis';
import { useResponseCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import Redis from 'ioredis';
import { serveBench } from '../child';
import { createCatalog, PEER_TTL_SECONDS, peerCounters, requestContext, resolvers, typeDefs, type PeerContext } from './catalog';
import { peerSettings } from './settings';

serveBench(async () => {
  const settings = peerSettings();
  const catalog = createCatalog(settings);

  const counts = { redisRoundTrips: 0, hits: 0, misses: 0, errors: 0 };
  const pending = new Set<Promise<unknown>>();
  const pipelines = new WeakSet<object>();
  // Counted where commands leave ioredis: the cache writes a response and its entity sets in one
  // pipeline (one round trip), and an invalidation reads each entity's set before deleting.
  class CountingRedis extends Redis {
    override sendCommand(...args: Parameters<Redis['sendCommand']>): unknown {
      const [command, stream] = args;
      const pipeline = stream && 'isPipeline' in stream ? (stream as object) : undefined;
      if (!pipeline || !pipelines.has(pipeline)) {
        counts.redisRoundTrips += 1;
        if (pipeline) pipelines.add(pipeline);
      }
      const done = command.promise;
      pending.add(done);
      done.then(
        () => pending.delete(done),
        () => {
          counts.errors += 1;
          pending.delete(done);
        },
      );
      return super.sendCommand(...args);
    }
  }
  // keyPrefix: every key this process writes starts with its key space, which the run deletes.
  const redis = new CountingRedis(settings.redisUrl, { keyPrefix: `${settings.keySpace}:` });
  const redisCache = createRedisCache({ redis });
  // Hits are lookups that found a response; misses, responses computed and stored (a miss is
  // looked up twice, when the request's parameters are read and again before execution).
  const cache: Cache = {
    async get(key) {
      const found = await redisCache.get(key);
      if (found) counts.hits += 1;
      return found;
    },
    set(key, result, entities, ttl) {
      counts.misses += 1;
      return redisCache.set(key, result, entities, ttl);
    },
    invalidate: (entities) => redisCache.invalidate(entities),
  };

  // Counted from Yoga's own hooks, not at the socket: when the client has gone, Yoga finishes the
  // operation but never ends the response, and the operation's statements belong to the window.
  const requests = { handled: 0, inFlight: 0 };
  const counting: Plugin = {
    onRequest() {
      requests.inFlight += 1;
    },
    onResponse() {
      requests.inFlight -= 1;
      requests.handled += 1;
    },
  };

  const yoga = createYoga({
    schema: createSchema<PeerContext>({ typeDefs, resolvers }),
    context: ({ request }) => requestContext(catalog, request.headers.get('authorization')),
    plugins: [counting, useResponseCache({ session: () => null, cache, ttl: PEER_TTL_SECONDS * 1000 })],
  });
  const httpServer = createServer(yoga);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;

  const settled = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };
  return {
    url: `http://127.0.0.1:${port}${yoga.graphqlEndpoint}`,
    counters: () => peerCounters(catalog, counts, requests),
    settled,
    stop: async () => {
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
      await settled();
      redis.disconnect();
      await catalog.close();
    },
  };
});
