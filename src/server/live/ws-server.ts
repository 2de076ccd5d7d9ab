/**
 * GraphQL subscriptions over WebSocket (`graphql-transport-ws`) on the HTTP server's own port
 * and path: a `ws` server, graphql-ws's protocol server (`makeServer`), and a drain plugin that
 * disposes of it (sockets close with 1001) when Apollo stops.
 *
 * graphql-ws runs the connection: `connection_init` and its acknowledgement, ping and pong,
 * malformed messages (4400), a second init (4429). `subscribe` and `complete` are served here:
 * graphql-ws would hold, per subscription and for as long as it lasts, two suspended async
 * functions, the raw message, its parsed copy and a dozen closures and promises, for an
 * iterable that never yields. Here a subscription is one object in graphql-ws's
 * `ctx.subscriptions` (so its limits, duplicate ids (4409) and close handling see it) and one
 * live registry member, which writes the shared payload into this socket's `next` frames
 * directly. The registry's refusals (expired resume point) and a session's end come back as the
 * protocol's `error` message, as graphql-ws would send them. Keep-alive pings and the init
 * timeout (4408) are one server-wide timer and one timer per socket until its init, instead of
 * graphql-ws's per-socket ones (useServer).
 */
import type http from 'node:http';
import { parse as parseCookie } from 'cookie';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  CloseCode,
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  MessageType,
  handleProtocols,
  makeServer,
  parseMessage,
  stringifyMessage,
  type Context as WsContext,
  type Message,
  type SubscribePayload,
  type WebSocket as WsAdapter,
} from 'graphql-ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
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

type LiveContext = WsContext<Record<string, unknown>, Connection>;

/** What every socket of one server shares. */
interface Shared {
  registry: LiveRegistry;
  metrics: LiveMetrics | undefined;
  logger: Logger;
  plan: LiveServerOptions['plan'];
  maxBufferedBytes: number;
  subscriptionsPerSocketMax: number;
  /** Subscriptions active on this server. */
  subscriptions: number;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One socket: graphql-ws's socket adapter and its `ctx.extra` at once, created whole (every
 * socket's has one shape). Its methods are shared; what it holds is what the socket needs.
 */
class Connection implements WsAdapter {
  readonly protocol: string;
  /** graphql-ws's context, from `connection_init` on. */
  ctx: LiveContext | undefined = undefined;
  /** Until `connection_init`: closes the socket (4408) if none comes in time. */
  initWait: NodeJS.Timeout | undefined = undefined;
  /** Signed in: who, the session's end on the bus, its expiry. */
  viewer: Viewer | undefined = undefined;
  session: LiveSubscription | undefined = undefined;
  expiry: NodeJS.Timeout | undefined = undefined;
  /** graphql-ws's message handler. */
  private handler: ((data: string) => Promise<void>) | undefined = undefined;

  constructor(
    readonly shared: Shared,
    readonly socket: WebSocket,
    /** The upgrade request, until `connection_init` has read its cookie: then let go (with its headers, some 1 KB). */
    public request: http.IncomingMessage | undefined,
  ) {
    this.protocol = socket.protocol;
  }

  send(data: string): Promise<void> {
    const { socket } = this;
    return new Promise((resolve, reject) => {
      if (socket.readyState !== socket.OPEN) return resolve();
      socket.send(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  onMessage(handler: (data: string) => Promise<void>): void {
    this.handler = handler;
  }

  /** A message from the client: `subscribe` and `complete` are served here, the rest by graphql-ws. */
  receive(data: RawData): void {
    const text = String(data);
    let message: Message | undefined;
    try {
      message = parseMessage(text);
    } catch {
      // graphql-ws answers it (4400).
    }
    if (message?.type === MessageType.Subscribe) this.subscribe(message.id, message.payload);
    else if (message?.type === MessageType.Complete) this.complete(message.id);
    else void this.forward(text);
  }

  private async forward(text: string): Promise<void> {
    try {
      await this.handler?.(text);
    } catch (err) {
      this.shared.logger.error({ err }, 'live: graphql-ws failed on a message');
      this.socket.close(CloseCode.InternalServerError, 'Internal server error');
    }
  }

  /** Protocol checks as graphql-ws makes them, then the plan, then the registry. */
  private subscribe(id: string, payload: SubscribePayload): void {
    const { ctx, socket, shared } = this;
    if (!ctx?.acknowledged) {
      socket.close(CloseCode.Unauthorized, 'Unauthorized');
      return;
    }
    const subscriptions = ctx.subscriptions as Record<string, unknown>;
    if (id in subscriptions) {
      socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
      return;
    }
    if (Object.keys(subscriptions).length >= shared.subscriptionsPerSocketMax) {
      shared.metrics?.refused('subscriptions_per_socket');
      this.sendErrors(id, [new SubscriptionLimitError(shared.subscriptionsPerSocketMax)]);
      return;
    }
    const planned = shared.plan(payload as SubscribeRequest, this.viewer ?? null);
    if ('errors' in planned) {
      this.sendErrors(id, planned.errors);
      return;
    }
    const subscription = new SocketSubscription(this, planned.plan, id);
    subscriptions[id] = subscription;
    subscription.start(planned.after);
  }

  private complete(id: string): void {
    const subscriptions = this.ctx?.subscriptions as Record<string, unknown> | undefined;
    if (!subscriptions) return;
    const subscription = subscriptions[id];
    delete subscriptions[id];
    if (subscription instanceof SocketSubscription) subscription.return();
  }

  /** The protocol's `error` message: the subscription is over, the socket carries on. */
  sendErrors(id: string, errors: readonly GraphQLError[]): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(stringifyMessage<MessageType.Error>({ id, type: MessageType.Error, payload: errors.map((error) => error.toJSON()) }));
  }

  /** The subscriptions of this socket (graphql-ws's `ctx.subscriptions` holds them). */
  *active(): Generator<SocketSubscription> {
    for (const subscription of Object.values(this.ctx?.subscriptions ?? {})) if (subscription instanceof SocketSubscription) yield subscription;
  }
}

/**
 * One client subscription: its registry membership and the registry's sink writing this
 * socket's `next` frames. One object with shared methods, no closures or promises: each
 * subscriber holds it for as long as it is subscribed. It passes for an async generator
 * (`return()`), so graphql-ws ends it with the others when the socket closes.
 */
class SocketSubscription implements LiveSink {
  private membership: Membership | undefined = undefined;
  private done = false;

  constructor(
    private readonly connection: Connection,
    readonly plan: LivePlan,
    private readonly id: string,
  ) {}

  start(after: string | undefined): void {
    this.connection.shared.subscriptions += 1;
    this.membership = this.connection.shared.registry.join(this.plan, this, after);
  }

  send(payloadJson: string): void {
    const { socket, shared } = this.connection;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > shared.maxBufferedBytes) {
      // A client this far behind would hold ever more memory here: it reconnects and resumes.
      shared.metrics?.refused('slow_consumer');
      socket.close(1013, 'Too far behind; reconnect and resume with "after"');
      return;
    }
    socket.send(`{"id":${JSON.stringify(this.id)},"type":"next","payload":${payloadJson}}`);
  }

  /** The registry could not start it. */
  fail(error: unknown): void {
    const { shared } = this.connection;
    if (error instanceof EventsExpiredError) {
      shared.metrics?.refused('events_expired');
      this.end(new EventsExpiredGraphQLError(error.afterId));
      return;
    }
    shared.logger.warn({ err: error }, 'live: a subscription could not start');
    this.end(new GraphQLError('The subscription could not start; subscribe again.'));
  }

  /** Ends it from our side: the client gets `error`. */
  end(error: GraphQLError): void {
    if (this.done) return;
    this.finish();
    const subscriptions = this.connection.ctx?.subscriptions as Record<string, unknown> | undefined;
    if (subscriptions?.[this.id] === this) delete subscriptions[this.id];
    this.connection.sendErrors(this.id, [error]);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends it from the client's side: `complete`, or the socket closed. */
  return(): Promise<IteratorResult<never>> {
    this.finish();
    return Promise.resolve(DONE);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.membership?.leave();
    this.connection.shared.subscriptions -= 1;
  }
}

/** No `connection_init` in time (graphql-ws's rule; a timer argument, not a closure per socket). */
function closeUninitialised(connection: Connection): void {
  connection.initWait = undefined;
  if (!connection.ctx) connection.socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
}

export function createLiveServer(options: LiveServerOptions): LiveServer {
  const { config, registry, metrics, logger } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: config.liveMaxMessageBytes, handleProtocols });
  const perAddress = new Map<string, number>();
  let sockets = 0;
  const shared: Shared = {
    registry,
    metrics,
    logger,
    plan: options.plan,
    maxBufferedBytes: config.liveMaxBufferedBytes,
    subscriptionsPerSocketMax: config.subscriptionsPerSocketMax,
    subscriptions: 0,
  };

  /** The session ended (logout, on any instance): its private subscriptions end, the socket turns anonymous. */
  const endSession = (connection: Connection) => {
    clearTimeout(connection.expiry);
    connection.session?.unsubscribe();
    connection.viewer = undefined;
    connection.session = undefined;
    connection.expiry = undefined;
    for (const subscription of [...connection.active()]) {
      if (subscription.plan.private) subscription.end(new UnauthenticatedError('Your session ended; sign in again, then subscribe again.'));
    }
  };

  const server = makeServer<Record<string, unknown>, Connection>({
    schema: options.schema,
    // Ours (closeUninitialised): graphql-ws's timer would stay referenced for the socket's life.
    connectionInitWaitTimeout: 0,
    onConnect: async (ctx) => {
      const connection = ctx.extra;
      clearTimeout(connection.initWait);
      connection.initWait = undefined;
      connection.ctx = ctx;
      const params = ctx.connectionParams ?? {};
      const authorization = typeof params.authorization === 'string' ? params.authorization : undefined;
      const cookie = parseCookie(connection.request?.headers.cookie ?? '')[SESSION_COOKIE];
      connection.request = undefined;
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
      connection.viewer = { userId: session.userId, role: session.role as UserRole };
      connection.session = options.bus.subscribe(sessionTopic(hashToken(token)), () => endSession(connection));
      // A session that runs out ends like one signed out (timers hold 24.8 days at most).
      connection.expiry = setTimeout(() => endSession(connection), Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1));
      connection.expiry.unref();
      return true;
    },
    onClose: (ctx) => {
      ctx.extra.session?.unsubscribe();
      clearTimeout(ctx.extra.expiry);
    },
  });

  // Keep-alive: every `liveKeepAliveMs` each open socket is pinged; one that has not answered
  // the previous ping by then is dropped. One timer for the server, not one (or two) per socket.
  const awaitingPong = new Set<WebSocket>();
  const heartbeat =
    config.liveKeepAliveMs > 0
      ? setInterval(() => {
          for (const socket of wss.clients) {
            if (socket.readyState !== socket.OPEN) continue;
            if (awaitingPong.has(socket)) {
              socket.terminate();
              continue;
            }
            awaitingPong.add(socket);
            socket.ping();
          }
        }, config.liveKeepAliveMs).unref()
      : undefined;
  function onPong(this: WebSocket): void {
    awaitingPong.delete(this);
  }
  // A client sending oversized or broken frames (ws has already closed the socket with the
  // right code) would fill stderr: logged at debug. One listener for every socket.
  const onSocketError = (err: Error) => logger.debug({ err }, 'live: a WebSocket failed (closed by ws with its code)');

  wss.once('error', (err) => {
    logger.error({ err }, 'live: the WebSocket server failed; closing its sockets');
    for (const client of wss.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });

  wss.on('connection', (socket, request) => {
    const address = request.socket.remoteAddress ?? 'unknown';
    const count = (perAddress.get(address) ?? 0) + 1;
    perAddress.set(address, count);
    sockets += 1;
    socket.on('error', onSocketError);
    socket.on('pong', onPong);
    const connection = new Connection(shared, socket, request);
    if (count > config.liveSocketsPerAddressMax) {
      metrics?.refused('sockets_per_address');
      // 4429: graphql-ws's "too many" code; its client does not retry it.
      socket.close(CloseCode.TooManyInitialisationRequests, 'Too many connections from this address');
    } else if (socket.protocol === GRAPHQL_TRANSPORT_WS_PROTOCOL && config.liveConnectionInitTimeoutMs > 0) {
      connection.initWait = setTimeout(closeUninitialised, config.liveConnectionInitTimeoutMs, connection);
    }
    const closed = server.opened(connection, connection);
    socket.on('message', (data) => connection.receive(data));
    socket.on('close', (code, reason) => {
      sockets -= 1;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
      clearTimeout(connection.initWait);
      awaitingPong.delete(socket);
      closed(code, String(reason)).catch((err: unknown) => logger.warn({ err }, 'live: closing a socket failed'));
    });
  });

  return {
    wss,
    drainPlugin: {
      async serverWillStart() {
        return {
          async drainServer() {
            clearInterval(heartbeat);
            for (const client of wss.clients) client.close(1001, 'Going away');
            wss.removeAllListeners();
            await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
          },
        };
      },
    },
    socketCount: () => sockets,
    subscriptionCount: () => shared.subscriptions,
    addressCount: () => perAddress.size,
  };
}
