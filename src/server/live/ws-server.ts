/**
 * GraphQL subscriptions over WebSocket (`graphql-transport-ws`) on the HTTP server's own port
 * and path, set up as Apollo Server 5 documents it: a `ws` server, graphql-ws's `useServer`,
 * and a drain plugin that disposes of it (sockets close with 1001) when Apollo stops.
 *
 * graphql-ws runs the protocol (init timeout 4408, malformed messages 4400, duplicate ids
 * 4409...); its hooks hand each subscription to the live registry, which writes the shared
 * payload into this socket's `next` frames directly. The iterable handed back to graphql-ws
 * never yields: it only carries the subscription's end (client `complete`, socket closed) to
 * the registry, and the registry's refusals (expired resume point, session ended) back as the
 * protocol's `error` message.
 */
import type http from 'node:http';
import { parse as parseCookie } from 'cookie';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { CloseCode, type Context as WsContext } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import type { Orm } from '../../db/orm';
import { EventsExpiredError as EventsExpiredGraphQLError, SubscriptionLimitError, UnauthenticatedError } from '../../errors';
import { EventsExpiredError, type LiveBus, type LiveSubscription } from '../../events/live-bus';
import type { Viewer } from '../../modules/context';
import { sessionTopic } from '../../modules/live/live.topics';
import type { UserRole } from '../../modules/user/user.entity';
import { tokenFromRequest } from '../../session/sessions';
import { SESSION_COOKIE, type SessionStore } from '../../session/session-store';
import type { Logger } from '../logger';
import type { LiveMetrics } from './live-metrics';
import type { PlanResult, SubscribeRequest } from './plan';
import type { LivePlan, LiveRegistry, Membership } from './registry';

/** What graphql-ws's `useServer` passes as `ctx.extra`. */
interface Extra extends Record<PropertyKey, unknown> {
  socket: WebSocket;
  request: http.IncomingMessage;
}

/** One client subscription: how to end it from our side. */
interface Active {
  plan: LivePlan;
  fail(error: GraphQLError): void;
}

interface SocketState {
  viewer: Viewer | null;
  session: LiveSubscription | undefined;
  /** Ends the session's private subscriptions when it expires. */
  expiry?: NodeJS.Timeout;
  active: Map<string, Active>;
}

/** What onSubscribe hands to `subscribe` through graphql-ws's execution arguments. */
interface Subscribing {
  plan: LivePlan;
  after: string | undefined;
  id: string;
  socket: WebSocket;
  state: SocketState;
}

export interface LiveServerOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  config: Pick<
    Config,
    'nodeEnv' | 'liveConnectionInitTimeoutMs' | 'subscriptionsPerSocketMax' | 'liveSocketsPerAddressMax' | 'liveKeepAliveMs' | 'liveMaxMessageBytes' | 'liveMaxBufferedBytes'
  >;
  orm: Orm;
  sessions: SessionStore;
  registry: LiveRegistry;
  bus: LiveBus;
  plan: (request: SubscribeRequest, viewer: Viewer | null) => PlanResult;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  metrics?: LiveMetrics;
  logger: Logger;
}

export interface LiveServer {
  wss: WebSocketServer;
  /** For Apollo's plugins: disposes of the WebSocket server when Apollo drains. */
  drainPlugin: ApolloServerPlugin;
  socketCount(): number;
  subscriptionCount(): number;
  /** Client addresses holding sockets (the per-address limit's bookkeeping). */
  addressCount(): number;
}

/** A pending promise, with how to settle it from outside. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

export function createLiveServer(options: LiveServerOptions): LiveServer {
  const { config, registry, metrics, logger } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: config.liveMaxMessageBytes });
  const states = new WeakMap<WebSocket, SocketState>();
  const perAddress = new Map<string, number>();
  let sockets = 0;
  let subscriptions = 0;

  // Before graphql-ws's own listener: a socket over the limit is closed before it is served.
  wss.on('connection', (socket, request) => {
    const address = request.socket.remoteAddress ?? 'unknown';
    const count = (perAddress.get(address) ?? 0) + 1;
    perAddress.set(address, count);
    sockets += 1;
    socket.once('close', () => {
      sockets -= 1;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    if (count > config.liveSocketsPerAddressMax) {
      metrics?.refused('sockets_per_address');
      // 4429: graphql-ws's "too many" code; its client does not retry it.
      socket.close(CloseCode.TooManyInitialisationRequests, 'Too many connections from this address');
    }
  });

  const stateOf = (ctx: WsContext<Record<string, unknown>, Extra>): SocketState => {
    let state = states.get(ctx.extra.socket);
    if (!state) states.set(ctx.extra.socket, (state = { viewer: null, session: undefined, active: new Map() }));
    return state;
  };

  /** The session ended (logout, on any instance): its private subscriptions end, the socket turns anonymous. */
  const endSession = (state: SocketState) => {
    clearTimeout(state.expiry);
    state.viewer = null;
    state.session?.unsubscribe();
    state.session = undefined;
    for (const active of state.active.values()) {
      if (active.plan.private) active.fail(new UnauthenticatedError('Your session ended; sign in again, then subscribe again.'));
    }
  };

  const frameOf = (id: string, payloadJson: string) => `{"id":${JSON.stringify(id)},"type":"next","payload":${payloadJson}}`;

  const serverCleanup = useServer<Record<string, unknown>, Extra>(
    {
      schema: options.schema,
      connectionInitWaitTimeout: config.liveConnectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const state = stateOf(ctx);
        const params = ctx.connectionParams ?? {};
        const authorization = typeof params.authorization === 'string' ? params.authorization : undefined;
        const cookie = options.sessions.tokenFromCookie(parseCookie(ctx.extra.request.headers.cookie ?? '')[SESSION_COOKIE]);
        const token = tokenFromRequest(authorization, cookie ?? undefined);
        if (!token) {
          // A malformed authorization is refused, not silently anonymous.
          if (authorization) {
            metrics?.refused('bad_token');
            return false;
          }
          return true;
        }
        // The store, not the cache: the socket needs the session's end, which the cache drops.
        const resolve = () => options.sessions.resolve(options.orm.em.fork() as SqlEntityManager, token, { fresh: true, touch: false });
        const session = await resolve();
        if (!session) {
          metrics?.refused('bad_token');
          return false;
        }
        state.viewer = { userId: session.userId, role: session.role as UserRole };
        state.session = options.bus.subscribe(sessionTopic(session.id), () => endSession(state));
        // A session that runs out ends like one signed out. A sliding session may have been
        // renewed meanwhile (by HTTP requests): asked again when the timer fires.
        const watchExpiry = (expiresAt: number) => {
          // Timers hold 24.8 days at most.
          state.expiry = setTimeout(() => {
            resolve().then(
              (still) => {
                // The socket closed while the store was asked: nothing to watch.
                if (states.get(ctx.extra.socket) !== state) return;
                if (still && state.viewer) watchExpiry(still.expiresAt);
                else endSession(state);
              },
              () => watchExpiry(Date.now() + 1000),
            );
          }, Math.max(Math.min(expiresAt - Date.now(), 2 ** 31 - 1), 100));
          state.expiry.unref();
        };
        watchExpiry(session.expiresAt);
        return true;
      },
      onSubscribe: (ctx, id, payload) => {
        const state = stateOf(ctx);
        // graphql-ws has added this id already.
        if (Object.keys(ctx.subscriptions).length > config.subscriptionsPerSocketMax) {
          metrics?.refused('subscriptions_per_socket');
          return [new SubscriptionLimitError(config.subscriptionsPerSocketMax)];
        }
        const planned = options.plan(payload as SubscribeRequest, state.viewer);
        if ('errors' in planned) return [...planned.errors];
        const subscribing: Subscribing = { ...planned, id, socket: ctx.extra.socket, state };
        return {
          schema: options.schema,
          document: planned.plan.document,
          operationName: planned.plan.operationName,
          variableValues: planned.plan.variableValues,
          contextValue: subscribing,
        };
      },
      subscribe: (args) => liveIterable(args.contextValue as Subscribing),
      onClose: (ctx) => {
        const state = states.get(ctx.extra.socket);
        state?.session?.unsubscribe();
        clearTimeout(state?.expiry);
        states.delete(ctx.extra.socket);
      },
    },
    wss,
    config.liveKeepAliveMs,
  );

  // graphql-ws prints a socket's errors to stderr; a client sending oversized or broken frames
  // (ws has already closed the socket with the right code) would fill it. Logged instead.
  wss.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (err) => logger.debug({ err }, 'live: a WebSocket failed (closed by ws with its code)'));
  });

  /**
   * The registry membership of one subscription, as graphql-ws expects a subscription: an
   * async iterable. `return()` (complete, close) leaves; a failure rejects `next()`.
   */
  function liveIterable({ plan, after, id, socket, state }: Subscribing): AsyncIterableIterator<never> {
    const ended = deferred<IteratorResult<never>>();
    // graphql-ws awaits it; a failure before it does must not count as unhandled.
    ended.promise.catch(() => undefined);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      membership.leave();
      state.active.delete(id);
      subscriptions -= 1;
    };
    subscriptions += 1;
    state.active.set(id, {
      plan,
      fail: (error) => {
        finish();
        ended.reject(error);
      },
    });
    const membership: Membership = registry.join(
      plan,
      {
        next: (payloadJson) => {
          if (socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount > config.liveMaxBufferedBytes) {
            // A client this far behind would hold ever more memory here: it reconnects and resumes.
            metrics?.refused('slow_consumer');
            socket.close(1013, 'Too far behind; reconnect and resume with "after"');
            return;
          }
          socket.send(frameOf(id, payloadJson));
        },
      },
      after,
    );
    membership.ready.catch((error: unknown) => {
      if (error instanceof EventsExpiredError) {
        metrics?.refused('events_expired');
        state.active.get(id)?.fail(new EventsExpiredGraphQLError(error.afterId));
        return;
      }
      logger.warn({ err: error }, 'live: a subscription could not start');
      state.active.get(id)?.fail(new GraphQLError('The subscription could not start; subscribe again.'));
    });
    const iterator: AsyncIterableIterator<never> = {
      [Symbol.asyncIterator]: () => iterator,
      next: () => ended.promise,
      return: async () => {
        finish();
        ended.resolve({ done: true, value: undefined });
        return { done: true, value: undefined };
      },
      throw: async (error: unknown) => {
        finish();
        throw error;
      },
    };
    return iterator;
  }

  return {
    wss,
    drainPlugin: {
      async serverWillStart() {
        return {
          async drainServer() {
            await serverCleanup.dispose();
          },
        };
      },
    },
    socketCount: () => sockets,
    subscriptionCount: () => subscriptions,
    addressCount: () => perAddress.size,
  };
}
