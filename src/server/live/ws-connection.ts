/**
 * One live socket and its subscriptions, as `ws-server.ts` serves them. A `Connection` is
 * graphql-ws's socket adapter and its `ctx.extra` at once; `subscribe` and `complete` are served
 * here (graphql-ws serves the rest of the protocol), each subscription a `SocketSubscription`
 * kept in graphql-ws's `ctx.subscriptions` and joined to the live registry. Both are classes
 * with shared methods: one of each per socket or subscription, held as long as it lasts, is the
 * whole per-subscriber cost here (see bench/README, the live run).
 */
import type http from 'node:http';
import { GraphQLError } from 'graphql';
import {
  CloseCode,
  MessageType,
  parseMessage,
  stringifyMessage,
  type Context as WsContext,
  type Message,
  type SubscribePayload,
  type WebSocket as WsAdapter,
} from 'graphql-ws';
import type { RawData, WebSocket } from 'ws';
import { EventsExpiredError as EventsExpiredGraphQLError, SubscriptionLimitError } from '../../errors';
import { EventsExpiredError, type LiveSubscription } from '../../events/live-bus';
import type { Viewer } from '../../modules/context';
import type { Logger } from '../logger';
import type { LiveMetrics } from './live-metrics';
import type { PlanResult, SubscribeRequest } from './plan';
import type { LivePlan, LiveRegistry, LiveSink, Membership } from './registry';

export type LiveContext = WsContext<Record<string, unknown>, Connection>;

/** What every socket of one server shares. */
export interface Shared {
  registry: LiveRegistry;
  metrics: LiveMetrics | undefined;
  logger: Logger;
  plan: (request: SubscribeRequest, viewer: Viewer | null) => PlanResult;
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
export class Connection implements WsAdapter {
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
export class SocketSubscription implements LiveSink {
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
export function closeUninitialised(connection: Connection): void {
  connection.initWait = undefined;
  if (!connection.ctx) connection.socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
}
