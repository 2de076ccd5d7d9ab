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
  send(payloadJson: string): void;
  /**
   * The member could not start: its topic's subscription failed, or its resume point is no
   * longer kept (`EventsExpiredError`). Called once at most, never after `leave()`.
   */
  fail(error: unknown): void;
}

export interface Membership {
  leave(): void;
}

/**
 * One client in a distinct subscription. A class, not closures: a subscriber holds one of
 * these for as long as it is subscribed, and its methods are shared.
 */
class Member implements Membership {
  /** While replaying: live payloads held back, with their event ids. */
  held: { id: string; payload: string }[] | undefined;
  /** Counted in `readyCount`. */
  counted = false;
  left = false;

  constructor(
    private readonly registry: LiveRegistry,
    readonly distinct: Distinct,
    readonly sink: LiveSink,
    resuming: boolean,
  ) {
    this.held = resuming ? [] : undefined;
  }

  leave(): void {
    this.registry.leave(this);
  }
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
  /** Its subscription is acknowledged: members joining now receive live events at once. */
  ready: boolean;
  /** Its subscription failed: members joining now fail. */
  failed?: { error: unknown };
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
   * events it missed. If it cannot start, its sink's `fail` is called (the caller ends it).
   */
  join(plan: LivePlan, sink: LiveSink, after?: string): Membership {
    let distinct = this.distincts.get(plan.key);
    if (!distinct) {
      distinct = { plan, members: new Set(), queue: Promise.resolve() };
      this.distincts.set(plan.key, distinct);
      this.watch(distinct);
    }
    const member = new Member(this, distinct, sink, Boolean(after));
    distinct.members.add(member);
    this.memberCount += 1;
    const topic = this.topics.get(plan.topic)!;
    if (after) {
      this.replay(member, topic, after).then(
        () => this.count(member),
        (error: unknown) => this.fail(member, error),
      );
    } else if (topic.failed) {
      const { error } = topic.failed;
      queueMicrotask(() => this.fail(member, error));
    } else if (topic.ready) this.count(member);
    // Otherwise counted by the topic once its subscription is acknowledged (`watch`).
    return member;
  }

  /** Called through `Membership.leave()`. */
  leave(member: Member): void {
    if (member.left) return;
    member.left = true;
    this.memberCount -= 1;
    if (member.counted) this.readyCount -= 1;
    const { distinct } = member;
    distinct.members.delete(member);
    if (distinct.members.size > 0 || this.distincts.get(distinct.plan.key) !== distinct) return;
    this.distincts.delete(distinct.plan.key);
    this.unwatch(distinct);
  }

  private count(member: Member): void {
    if (member.left || member.counted) return;
    member.counted = true;
    this.readyCount += 1;
  }

  private fail(member: Member, error: unknown): void {
    if (!member.left) member.sink.fail(error);
  }

  private watch(distinct: Distinct): void {
    const name = distinct.plan.topic;
    const existing = this.topics.get(name);
    if (existing) {
      existing.distincts.add(distinct);
      return;
    }
    const topic: Topic = { distincts: new Set([distinct]), subscription: undefined as unknown as LiveSubscription, ready: false };
    this.topics.set(name, topic);
    topic.subscription = this.options.bus.subscribe(name, (event) => this.onEvent(topic, event));
    // Once per topic, not per member: a member waiting for it is counted, or failed, from here.
    topic.subscription.ready.then(
      () => {
        topic.ready = true;
        for (const waiting of topic.distincts) for (const member of waiting.members) if (!member.held) this.count(member);
      },
      (error: unknown) => {
        topic.failed = { error };
        // Failing a member makes it leave: collected first.
        const waiting = [...topic.distincts].flatMap((each) => [...each.members].filter((member) => !member.held));
        for (const member of waiting) this.fail(member, error);
      },
    );
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
        member.sink.send(payload);
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

  private async replay(member: Member, topic: Topic, after: string): Promise<void> {
    const { distinct } = member;
    try {
      await topic.subscription.ready;
      const missed = await this.options.bus.replay(distinct.plan.topic, after);
      let last = after;
      for (const live of missed) {
        last = live.id;
        if (!distinct.plan.accepts(live.event)) continue;
        // Its own execution: a replay is one client's, and rare.
        const payload = await this.payloadOf(distinct.plan, live);
        if (member.left) return;
        member.sink.send(payload);
        this.options.metrics?.replayed(topicKind(live.topic));
      }
      for (const held of member.held ?? []) if (compareEventIds(held.id, last) > 0) member.sink.send(held.payload);
    } finally {
      member.held = undefined;
    }
  }
}
