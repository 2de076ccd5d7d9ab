/**
 * GraphQL subscriptions over WebSocket (`graphql-transport-ws`) on the HTTP server's own port
 * and path: a `ws` server, graphql-ws's protocol server (`makeServer`), and a drain plugin that
 * disposes of it (sockets close with 1001) when Apollo stops.
 *
 * graphql-ws runs the connection: `connection_init` and its acknowledgement, ping and pong,
 * malformed messages (4400), a second init (4429). `subscribe` and `complete` are served by
 * `ws-connection.ts`: graphql-ws would hold, per subscription and for as long as it lasts, two
 * suspended async functions, the raw message, its parsed copy and a dozen closures and
 * promises, for an iterable that never yields. Here a subscription is one object in graphql-ws's
 * `ctx.subscriptions` (so its limits, duplicate ids (4409) and close handling see it) and one
 * live registry member, which writes the shared payload into this socket's `next` frames
 * directly. The registry's refusals (expired resume point) and a session's end come back as the
 * protocol's `error` message, as graphql-ws would send them. Keep-alive pings and the init
 * timeout (4408) are one server-wide timer and one timer per socket until its init, instead of
 * graphql-ws's per-socket ones (useServer).
 */
import type http from 'node:http';
import { parse as parseCookie } from 'cookie';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols, makeServer } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import type { Orm } from '../../db/orm';
import { UnauthenticatedError } from '../../errors';
import type { LiveBus } from '../../events/live-bus';
import type { Viewer } from '../../modules/context';
import { sessionTopic } from '../../modules/live/live.topics';
import type { UserRole } from '../../modules/user/user.entity';
import { tokenFromRequest } from '../../session/sessions';
import { SESSION_COOKIE, type SessionStore } from '../../session/session-store';
import type { Logger } from '../logger';
import type { LiveMetrics } from './live-metrics';
import type { PlanResult, SubscribeRequest } from './plan';
import type { LiveRegistry } from './registry';
import { Connection, closeUninitialised, type Shared } from './ws-connection';

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
      const cookie = options.sessions.tokenFromCookie(parseCookie(connection.request?.headers.cookie ?? '')[SESSION_COOKIE]);
      connection.request = undefined;
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
      connection.viewer = { userId: session.userId, role: session.role as UserRole };
      connection.session = options.bus.subscribe(sessionTopic(session.id), () => endSession(connection));
      // A session that runs out ends like one signed out. A sliding session may have been
      // renewed meanwhile (by HTTP requests): asked again when the timer fires.
      const watchExpiry = (expiresAt: number) => {
        // Timers hold 24.8 days at most.
        connection.expiry = setTimeout(() => {
          resolve().then(
            (still) => {
              // The socket closed, or its session ended, while the store was asked.
              if (connection.expiry === undefined || !connection.viewer) return;
              if (still) watchExpiry(still.expiresAt);
              else endSession(connection);
            },
            () => watchExpiry(Date.now() + 1000),
          );
        }, Math.max(Math.min(expiresAt - Date.now(), 2 ** 31 - 1), 100));
        connection.expiry.unref();
      };
      watchExpiry(session.expiresAt);
      return true;
    },
    onClose: (ctx) => {
      ctx.extra.session?.unsubscribe();
      clearTimeout(ctx.extra.expiry);
      ctx.extra.expiry = undefined;
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
