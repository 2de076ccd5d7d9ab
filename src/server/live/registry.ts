/**
 * One execution per distinct subscription. Clients whose subscriptions have the same document,
 * variables and scope (public, or one user) share a `Distinct`: per event it runs the document
 * once, serializes the payload once, and writes those same bytes into every member's `next`
 * frame (only the frame's `id` differs). A topic is listened to once per instance however many
 * distinct subscriptions watch it, and is released when the last one leaves.
 *
 * Before resolving an event the instance drops the event's tags from its own cache tier (L1):
 * the writer dropped them from Redis before publishing, so the payload, read through loaders
 * and cache like a query with a fresh context, is never older than the write that caused it.
 *
 * A client resuming with `after` joins first (buffering what arrives), then reads what it
 * missed from the bus, sends it, then flushes the buffer past the last id it replayed: nothing
 * is lost in between, nothing is sent twice.
 */
import { execute, type DocumentNode, type ExecutionResult, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { DomainEvent } from '../../events/domain-events';
import { compareEventIds, type LiveBus, type LiveEvent, type LiveSubscription } from '../../events/live-bus';
import type { Context, Viewer } from '../../modules/context';
import { topicKind } from '../../modules/live/live.topics';
import type { LiveMetrics } from './live-metrics';

/** What a subscription runs, decided once when it is subscribed (see `plan.ts`). */
export interface LivePlan {
  /** hash(document) + canonical variables + scope: equal keys share one execution. */
  key: string;
  topic: string;
  /** The root field's filter: whether an event of the topic is one it answers. */
  accepts(event: DomainEvent): boolean;
  document: DocumentNode;
  operationName: string | undefined;
  variableValues: Record<string, unknown>;
  /** Who it runs as: null for a public subscription, whoever subscribes. */
  viewer: Viewer | null;
  /** Ends when the subscriber's session ends. */
  private: boolean;
}

/** Where a member's frames go. */
export interface LiveSink {
  /** Writes one `next` frame with the already serialized payload. */
  next(payloadJson: string): void;
}

export interface Membership {
  /** Resolves once the member receives live events (after its replay, if it resumed). */
  ready: Promise<void>;
  leave(): void;
}

interface Member {
  sink: LiveSink;
  /** While replaying: live payloads held back, with their event ids. */
  held: { id: string; payload: string }[] | undefined;
}

interface Distinct {
  plan: LivePlan;
  members: Set<Member>;
  /** Executions run one after another, so members see events in order. */
  queue: Promise<void>;
}

interface Topic {
  distincts: Set<Distinct>;
  subscription: LiveSubscription;
}

export interface LiveRegistryOptions {
  schema: GraphQLSchema;
  bus: LiveBus;
  /** A fresh context per execution. */
  contextFor: (viewer: Viewer | null) => Context;
  /** Drops tags from this instance's own cache tier (no round trip). */
  dropLocal: (tags: readonly string[]) => void;
  tagsOf: (event: DomainEvent) => readonly string[];
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  metrics?: LiveMetrics;
  onError?: (error: unknown) => void;
}

export class LiveRegistry {
  private readonly distincts = new Map<string, Distinct>();
  private readonly topics = new Map<string, Topic>();
  /** Executions run, shared and replayed: what the "one resolution per event" tests count. */
  resolutions = 0;
  /** Members across all distinct subscriptions. */
  memberCount = 0;
  /** Members that receive live events: their topic's subscription is acknowledged (and their replay done). */
  readyCount = 0;

  constructor(private readonly options: LiveRegistryOptions) {}

  get distinctCount(): number {
    return this.distincts.size;
  }

  get topicCount(): number {
    return this.topics.size;
  }

  /**
   * Adds a member to the plan's distinct subscription. With `after`, it first receives the
   * events it missed; `onExpired`-style failures reject `ready` (the caller ends the member).
   */
  join(plan: LivePlan, sink: LiveSink, after?: string): Membership {
    let distinct = this.distincts.get(plan.key);
    if (!distinct) {
      distinct = { plan, members: new Set(), queue: Promise.resolve() };
      this.distincts.set(plan.key, distinct);
      this.watch(distinct);
    }
    const member: Member = { sink, held: after ? [] : undefined };
    distinct.members.add(member);
    this.memberCount += 1;
    const joined = distinct;
    const topic = this.topics.get(plan.topic)!;
    let left = false;
    let counted = false;
    const ready = (after ? this.replay(joined, member, topic, after) : topic.subscription.ready).then(() => {
      if (left) return;
      counted = true;
      this.readyCount += 1;
    });
    return {
      ready,
      leave: () => {
        if (left) return;
        left = true;
        this.memberCount -= 1;
        if (counted) this.readyCount -= 1;
        joined.members.delete(member);
        if (joined.members.size > 0 || this.distincts.get(plan.key) !== joined) return;
        this.distincts.delete(plan.key);
        this.unwatch(joined);
      },
    };
  }

  private watch(distinct: Distinct): void {
    const name = distinct.plan.topic;
    const existing = this.topics.get(name);
    if (existing) {
      existing.distincts.add(distinct);
      return;
    }
    const topic: Topic = { distincts: new Set([distinct]), subscription: undefined as unknown as LiveSubscription };
    this.topics.set(name, topic);
    topic.subscription = this.options.bus.subscribe(name, (event) => this.onEvent(topic, event));
  }

  private unwatch(distinct: Distinct): void {
    const topic = this.topics.get(distinct.plan.topic);
    if (!topic) return;
    topic.distincts.delete(distinct);
    if (topic.distincts.size > 0) return;
    this.topics.delete(distinct.plan.topic);
    topic.subscription.unsubscribe();
  }

  private onEvent(topic: Topic, live: LiveEvent): void {
    const kind = topicKind(live.topic);
    this.options.metrics?.eventIn(kind);
    // Once per event and instance, before any execution of it reads the cache.
    this.options.dropLocal(this.options.tagsOf(live.event));
    for (const distinct of topic.distincts) {
      if (!distinct.plan.accepts(live.event)) continue;
      distinct.queue = distinct.queue.then(() => this.deliver(distinct, live, kind));
    }
  }

  private async deliver(distinct: Distinct, live: LiveEvent, kind: string): Promise<void> {
    if (distinct.members.size === 0) return;
    let payload: string;
    try {
      payload = await this.payloadOf(distinct.plan, live);
    } catch (error) {
      this.options.onError?.(error);
      return;
    }
    let sent = 0;
    for (const member of distinct.members) {
      if (member.held) member.held.push({ id: live.id, payload });
      else {
        member.sink.next(payload);
        sent += 1;
      }
    }
    this.options.metrics?.messagesOut(kind, sent);
    this.options.metrics?.delivered((Date.now() - live.publishedAt) / 1000);
  }

  /** One execution of `plan` for `live`, serialized with the event id in `extensions`. */
  private async payloadOf(plan: LivePlan, live: LiveEvent): Promise<string> {
    this.resolutions += 1;
    this.options.metrics?.resolution(topicKind(live.topic));
    const result = (await execute({
      schema: this.options.schema,
      document: plan.document,
      operationName: plan.operationName,
      variableValues: plan.variableValues,
      rootValue: live,
      contextValue: this.options.contextFor(plan.viewer),
    })) as ExecutionResult;
    const errors = result.errors?.map((error: GraphQLError) => this.options.formatError(error.toJSON(), error));
    return JSON.stringify({ data: result.data ?? null, ...(errors ? { errors } : {}), extensions: { eventId: live.id } });
  }

  private async replay(distinct: Distinct, member: Member, topic: Topic, after: string): Promise<void> {
    try {
      await topic.subscription.ready;
      const missed = await this.options.bus.replay(distinct.plan.topic, after);
      let last = after;
      for (const live of missed) {
        last = live.id;
        if (!distinct.plan.accepts(live.event)) continue;
        // Its own execution: a replay is one client's, and rare.
        const payload = await this.payloadOf(distinct.plan, live);
        if (!distinct.members.has(member)) return;
        member.sink.next(payload);
        this.options.metrics?.replayed(topicKind(live.topic));
      }
      for (const held of member.held ?? []) if (compareEventIds(held.id, last) > 0) member.sink.next(held.payload);
    } finally {
      member.held = undefined;
    }
  }
}
