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
import { hashToken, readSession, tokenFromRequest } from '../../session/sessions';
import { SESSION_COOKIE } from '../context';
import type { Logger } from '../logger';
import type { LiveMetrics } from './live-metrics';
import type { PlanResult, SubscribeRequest } from './plan';
import type { LivePlan, LiveRegistry, LiveSink, Membership } from './registry';

/** What graphql-ws's `useServer` passes as `ctx.extra`. */
interface Extra extends Record<PropertyKey, unknown> {
  socket: WebSocket;
  request: http.IncomingMessage;
}

/**
 * What a signed-in socket adds to `ctx.extra`; an anonymous one adds nothing (most sockets:
 * nothing per socket beyond what graphql-ws and ws hold already).
 */
interface SignedIn extends Record<PropertyKey, unknown> {
  viewer: Viewer;
  session: LiveSubscription;
  /** Ends the session's private subscriptions when it expires. */
  expiry: NodeJS.Timeout;
}

type LiveContext = WsContext<Record<string, unknown>, Extra & Partial<SignedIn>>;

/** What onSubscribe hands to `subscribe` through graphql-ws's execution arguments (then dropped). */
interface Subscribing {
  ctx: LiveContext;
  plan: LivePlan;
  after: string | undefined;
  id: string;
}

/** What every subscription of one server shares. */
interface Shared {
  registry: LiveRegistry;
  metrics: LiveMetrics | undefined;
  logger: Logger;
  maxBufferedBytes: number;
  subscriptions: number;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One client subscription: its registry membership, as graphql-ws expects a subscription (an
 * async iterable that never yields), and the registry's sink writing this socket's `next`
 * frames. `return()` (complete, close) leaves; a failure rejects `next()`. One object with
 * shared methods and one pending promise, not a generator or closures: each subscriber holds it
 * for as long as it is subscribed.
 */
class LiveIteration implements AsyncIterableIterator<never>, LiveSink {
  private membership: Membership | undefined;
  /** How it ended before graphql-ws asked for `next()`. */
  private outcome: { error: GraphQLError } | typeof DONE | undefined;
  private resolve: ((result: IteratorResult<never>) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;
  private done = false;

  constructor(
    private readonly shared: Shared,
    readonly plan: LivePlan,
    private readonly id: string,
    private readonly socket: WebSocket,
  ) {}

  start(after: string | undefined): this {
    this.shared.subscriptions += 1;
    this.membership = this.shared.registry.join(this.plan, this, after);
    return this;
  }

  send(payloadJson: string): void {
    const { socket } = this;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > this.shared.maxBufferedBytes) {
      // A client this far behind would hold ever more memory here: it reconnects and resumes.
      this.shared.metrics?.refused('slow_consumer');
      socket.close(1013, 'Too far behind; reconnect and resume with "after"');
      return;
    }
    socket.send(`{"id":${JSON.stringify(this.id)},"type":"next","payload":${payloadJson}}`);
  }

  /** The registry could not start it. */
  fail(error: unknown): void {
    if (error instanceof EventsExpiredError) {
      this.shared.metrics?.refused('events_expired');
      this.end(new EventsExpiredGraphQLError(error.afterId));
      return;
    }
    this.shared.logger.warn({ err: error }, 'live: a subscription could not start');
    this.end(new GraphQLError('The subscription could not start; subscribe again.'));
  }

  /** Ends it from our side: the client gets `error`. */
  end(error: GraphQLError): void {
    if (this.done) return;
    this.finish();
    if (this.reject) this.reject(error);
    else this.outcome = { error };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<never>> {
    const { outcome } = this;
    if (outcome) return 'error' in outcome ? Promise.reject(outcome.error) : Promise.resolve(outcome);
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  return(): Promise<IteratorResult<never>> {
    this.finish();
    this.outcome ??= DONE;
    this.resolve?.(DONE);
    return Promise.resolve(DONE);
  }

  throw(error: unknown): Promise<IteratorResult<never>> {
    this.finish();
    return Promise.reject(error);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.membership?.leave();
    this.shared.subscriptions -= 1;
  }
}

export interface LiveServerOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  config: Pick<
    Config,
    'nodeEnv' | 'liveConnectionInitTimeoutMs' | 'subscriptionsPerSocketMax' | 'liveSocketsPerAddressMax' | 'liveKeepAliveMs' | 'liveMaxMessageBytes' | 'liveMaxBufferedBytes'
  >;
  orm: Orm;
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

export function createLiveServer(options: LiveServerOptions): LiveServer {
  const { config, registry, metrics, logger } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: config.liveMaxMessageBytes });
  const perAddress = new Map<string, number>();
  let sockets = 0;
  const shared: Shared = { registry, metrics, logger, maxBufferedBytes: config.liveMaxBufferedBytes, subscriptions: 0 };

  // Before graphql-ws's own listener: a socket over the limit is closed before it is served.
  wss.on('connection', (socket, request) => {
    const address = request.socket.remoteAddress ?? 'unknown';
    const count = (perAddress.get(address) ?? 0) + 1;
    perAddress.set(address, count);
    sockets += 1;
    // `on`, not `once`: a socket closes once, and `once` would add a wrapper per socket.
    socket.on('close', () => {
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

  /** The session ended (logout, on any instance): its private subscriptions end, the socket turns anonymous. */
  const endSession = (ctx: LiveContext) => {
    const { extra } = ctx;
    clearTimeout(extra.expiry);
    extra.session?.unsubscribe();
    extra.viewer = undefined;
    extra.session = undefined;
    extra.expiry = undefined;
    for (const subscription of Object.values(ctx.subscriptions)) {
      if (subscription instanceof LiveIteration && subscription.plan.private) {
        subscription.end(new UnauthenticatedError('Your session ended; sign in again, then subscribe again.'));
      }
    }
  };

  const serverCleanup = useServer<Record<string, unknown>, SignedIn>(
    {
      schema: options.schema,
      connectionInitWaitTimeout: config.liveConnectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization = typeof params.authorization === 'string' ? params.authorization : undefined;
        const cookie = parseCookie(ctx.extra.request.headers.cookie ?? '')[SESSION_COOKIE];
        const token = tokenFromRequest(authorization, cookie);
        if (!token) {
          // A malformed authorization is refused, not silently anonymous.
          if (authorization) {
            metrics?.refused('bad_token');
            return false;
          }
          return true;
        }
        // The table, not the cache: the socket needs the session's end, which the cache drops.
        const session = await readSession(options.orm.em.fork() as SqlEntityManager, hashToken(token));
        if (!session) {
          metrics?.refused('bad_token');
          return false;
        }
        const { extra } = ctx;
        extra.viewer = { userId: session.userId, role: session.role as UserRole };
        extra.session = options.bus.subscribe(sessionTopic(hashToken(token)), () => endSession(ctx));
        // A session that runs out ends like one signed out (timers hold 24.8 days at most).
        extra.expiry = setTimeout(() => endSession(ctx), Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1));
        extra.expiry.unref();
        return true;
      },
      onSubscribe: (ctx, id, payload) => {
        // graphql-ws has added this id already.
        if (Object.keys(ctx.subscriptions).length > config.subscriptionsPerSocketMax) {
          metrics?.refused('subscriptions_per_socket');
          return [new SubscriptionLimitError(config.subscriptionsPerSocketMax)];
        }
        const planned = options.plan(payload as SubscribeRequest, ctx.extra.viewer ?? null);
        if ('errors' in planned) return [...planned.errors];
        // graphql-ws keeps the message for as long as the subscription lasts; the query's text
        // is planned (and its document shared), so it need not keep that too.
        (payload as { query: string }).query = '';
        const subscribing: Subscribing = { ctx, plan: planned.plan, after: planned.after, id };
        return {
          schema: options.schema,
          document: planned.plan.document,
          operationName: planned.plan.operationName,
          variableValues: planned.plan.variableValues,
          contextValue: subscribing,
        };
      },
      subscribe: (args) => {
        const { ctx, plan, after, id } = args.contextValue as Subscribing;
        // graphql-ws keeps these arguments for as long as the subscription lasts; this is not needed again.
        args.contextValue = undefined;
        const iteration = new LiveIteration(shared, plan, id, ctx.extra.socket);
        // graphql-ws records it a few turns later; a session ending meanwhile must find it.
        if (ctx.subscriptions[id] === null) (ctx.subscriptions as Record<string, unknown>)[id] = iteration;
        return iteration.start(after);
      },
      onClose: (ctx) => {
        ctx.extra.session?.unsubscribe();
        clearTimeout(ctx.extra.expiry);
      },
    },
    wss,
    config.liveKeepAliveMs,
  );

  // graphql-ws prints a socket's errors to stderr; a client sending oversized or broken frames
  // (ws has already closed the socket with the right code) would fill it. Logged instead.
  // One listener for every socket, not one each.
  const onSocketError = (err: Error) => logger.debug({ err }, 'live: a WebSocket failed (closed by ws with its code)');
  wss.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', onSocketError);
  });

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
    subscriptionCount: () => shared.subscriptions,
    addressCount: () => perAddress.size,
  };
}
