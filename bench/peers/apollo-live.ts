/**
 * The live run's peer: Apollo Server 5 with subscriptions as its documentation sets them up.
 * Express 5 (`expressMiddleware`) for HTTP on `/graphql`, a `ws` WebSocketServer on the same
 * HTTP server and path, graphql-ws's `useServer` over the same schema, the drain plugins, and
 * `graphql-redis-subscriptions`' `RedisPubSub` (two ioredis clients: publisher and subscriber).
 * Queries and mutations are catalog.ts's (pg + DataLoader); the schema adds
 * `Subscription.productUpdated(id)`, the field `product-updated.graphql` selects.
 *
 * `updateProduct` updates the price with `pg` (catalog.ts: `UPDATE … RETURNING`), publishes the
 * updated row, then answers, as the documentation's mutations publish what they return. Every
 * subscriber's event is then executed from that payload: the document's fields (id, priceCents,
 * stock, updatedAt) are columns of the row, so no statement per event.
 *
 * Two ways of routing (BENCH_PEER_CHANNELS):
 * - `one` (default): ONE channel for every product and `withFilter` on the product id, as the
 *   documentation's filtering example does: every event wakes every subscriber's filter;
 * - `per-product`: a channel per product (`<channel>.<id>`), no filter; RedisPubSub subscribes
 *   to each channel once and hands its messages to that product's subscribers only.
 *
 * Environment: peers/settings.ts's, plus BENCH_PEER_CHANNELS. Channel names start with the
 * run's key space, so concurrent runs never hear each other. Forked by bench/live.ts; speaks
 * child.ts's IPC.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import cors from 'cors';
import express from 'express';
import { withFilter } from 'graphql-subscriptions';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { useServer } from 'graphql-ws/use/ws';
import Redis from 'ioredis';
import { WebSocketServer } from 'ws';
import { serveBench } from '../child';
import { createCatalog, peerCounters, requestContext, resolvers, typeDefs, type PeerContext } from './catalog';
import { peerSettings } from './settings';

type Routing = 'one' | 'per-product';

function routing(env: NodeJS.ProcessEnv): Routing {
  const value = env.BENCH_PEER_CHANNELS ?? 'one';
  if (value !== 'one' && value !== 'per-product') throw new Error(`BENCH_PEER_CHANNELS is "one" or "per-product"; got "${value}"`);
  return value;
}

const liveTypeDefs = /* GraphQL */ `
  ${typeDefs}

  type Subscription {
    productUpdated(id: ID!): Product!
  }
`;

/** JSON turns the row's Dates into strings on the way through Redis; this turns them back. */
const reviveDates = (key: string, value: unknown) =>
  (key === 'updatedAt' || key === 'createdAt') && typeof value === 'string' ? new Date(value) : value;

serveBench(async () => {
  const settings = peerSettings();
  const channels = routing(process.env);
  const catalog = createCatalog(settings);
  const channel = `${settings.keySpace}:PRODUCT_UPDATED`;
  const productChannel = (id: string | number) => `${channel}.${id}`;

  const pubsub = new RedisPubSub({
    publisher: new Redis(settings.redisUrl),
    subscriber: new Redis(settings.redisUrl),
    reviver: reviveDates,
  });

  const updateProduct = resolvers.Mutation.updateProduct;
  const schema = makeExecutableSchema({
    typeDefs: liveTypeDefs,
    resolvers: {
      ...resolvers,
      Mutation: {
        ...resolvers.Mutation,
        updateProduct: async (...args: Parameters<typeof updateProduct>) => {
          const product = await updateProduct(...args);
          await pubsub.publish(channels === 'one' ? channel : productChannel(product.id), { productUpdated: product });
          return product;
        },
      },
      Subscription: {
        productUpdated:
          channels === 'one'
            ? {
                subscribe: withFilter(
                  () => pubsub.asyncIterableIterator(channel),
                  (payload: { productUpdated: { id: number } } | undefined, variables: { id: string } | undefined) =>
                    String(payload?.productUpdated.id) === variables?.id,
                ),
              }
            : { subscribe: (_: unknown, args: { id: string }) => pubsub.asyncIterableIterator(productChannel(Number(args.id))) },
      },
    },
  });

  const counts = { handled: 0, inFlight: 0, executions: 0 };
  const app = express();
  const httpServer = createServer(app);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  // The same context as an HTTP request's, per subscription operation.
  // onNext: once per message, i.e. per execution of the document for one subscriber.
  const wsCleanup = useServer(
    {
      schema,
      context: () => ({ ...requestContext(catalog, undefined) }),
      onNext: () => {
        counts.executions += 1;
      },
    },
    wsServer,
  );
  const counting: ApolloServerPlugin<PeerContext> = {
    async requestDidStart() {
      counts.inFlight += 1;
      return {
        async willSendResponse() {
          counts.inFlight -= 1;
          counts.handled += 1;
        },
      };
    },
  };
  const apollo = new ApolloServer<PeerContext>({
    schema,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
      counting,
    ],
  });
  await apollo.start();
  app.use(
    '/graphql',
    cors<cors.CorsRequest>(),
    express.json(),
    expressMiddleware(apollo, { context: async ({ req }) => requestContext(catalog, req.headers.authorization) }),
  );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;

  const noCache = { redisRoundTrips: 0, hits: 0, misses: 0, errors: 0 };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    counters: () => ({ ...peerCounters(catalog, noCache, counts), redisRoundTrips: null, subscriptionExecutions: counts.executions }),
    settled: async () => undefined,
    stop: async () => {
      await apollo.stop();
      await pubsub.close();
      await catalog.close();
    },
  };
});
