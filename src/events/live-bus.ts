/**
 * Delivers committed domain events to live subscribers by topic (`product:42`, `orders:7`), on
 * every instance, resumably. Two implementations of one contract:
 *
 * - `RedisLiveBus` (several instances): per topic, a Lua script checks the topic's set of
 *   published outbox rows, appends the event to a capped stream (`XADD MAXLEN`, exact: the
 *   retention a client is promised is the one kept), publishes it and records the row; or
 *   does nothing if the row was published to that topic before: the writer and a relay may
 *   both publish a row, subscribers hear it once. The stream entry id is the event's id: outbox
 *   ids follow insertion, not commit order, stream ids follow publication. Listening goes
 *   through `graphql-redis-subscriptions`, one Redis subscription per topic per instance
 *   however many listen. When the subscriber connection comes back after a drop, each topic is
 *   caught up from its stream, so events published meanwhile are not lost.
 * - `InProcessLiveBus` (one instance, no Redis): the same with a small ring per topic.
 */
import { LRUCache } from 'lru-cache';
import type Redis from 'ioredis';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { DomainEvent } from './domain-events';

/** One event as a subscriber hears it. */
export interface LiveEvent {
  /** Client-visible id, increasing per topic (`<ms>-<seq>`, a Redis stream entry id). */
  id: string;
  topic: string;
  event: DomainEvent;
  /** Epoch ms when it was published (for the delivery-latency histogram). */
  publishedAt: number;
}

/** An outbox row's event, to publish to each of `topics`; `rowId` makes the publication idempotent. */
export interface LivePublication {
  rowId: string;
  event: DomainEvent;
  topics: readonly string[];
}

export type LiveHandler = (event: LiveEvent) => void;

export interface LiveSubscription {
  /** Resolves once events published from now on will be heard (the Redis SUBSCRIBE is acknowledged). */
  ready: Promise<void>;
  unsubscribe(): void;
}

/** The id a client resumes from is older than what the bus keeps: it must refetch. */
export class EventsExpiredError extends Error {
  override name = 'EventsExpiredError';
  constructor(readonly topic: string, readonly afterId: string) {
    super(`Events after "${afterId}" are no longer kept; refetch with a query, then subscribe again without "after".`);
  }
}

export interface LiveBus {
  /** Publishes each row's event to its topics, in order; a row published before is skipped. Rejects if it could not. */
  publish(publications: readonly LivePublication[]): Promise<void>;
  /** Hears the events of `topic`, in id order, each once. */
  subscribe(topic: string, handler: LiveHandler): LiveSubscription;
  /** The events of `topic` after `afterId`, oldest first. Rejects with EventsExpiredError when `afterId` is no longer kept. */
  replay(topic: string, afterId: string): Promise<LiveEvent[]>;
  /** Topics this instance listens to (one Redis subscription each). */
  readonly topicCount: number;
  close(): Promise<void>;
}

/** `<ms>-<seq>`, as Redis stream ids are. */
export const EVENT_ID = /^\d{1,15}-\d{1,15}$/;

/** Orders two event ids. */
export function compareEventIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}

export interface LiveBusLimits {
  /** Default 1000. Events kept per topic for resuming. */
  maxLen?: number;
  /** Default 3600. Seconds a topic's events are kept after its last one (Redis only). */
  ttlSeconds?: number;
  /** Default 86400. Seconds an outbox row's publication is remembered, so a second one is skipped. */
  dedupeSeconds?: number;
  /** Default 10000. Rows remembered per topic at most within that window (bounds Redis memory per topic). */
  dedupeMaxPerTopic?: number;
}

/** The topics a handler set is kept for, with the last id each delivered (a message at or below it is a duplicate). */
interface TopicState {
  handlers: Set<LiveHandler>;
  lastId: string | undefined;
}

function deliver(state: TopicState, event: LiveEvent, onError?: (error: unknown) => void): void {
  if (state.lastId !== undefined && compareEventIds(event.id, state.lastId) <= 0) return;
  state.lastId = event.id;
  for (const handler of state.handlers) {
    try {
      handler(event);
    } catch (error) {
      onError?.(error);
    }
  }
}

export class InProcessLiveBus implements LiveBus {
  private readonly topics = new Map<string, TopicState>();
  private readonly rings: LRUCache<string, LiveEvent[]>;
  private readonly published: LRUCache<string, true>;
  private readonly maxLen: number;
  private lastMs = 0;
  private seq = 0;

  constructor(limits: LiveBusLimits & { maxTopics?: number } = {}) {
    this.maxLen = limits.maxLen ?? 1000;
    // Bounded both ways: a process must not grow with every product ever changed.
    this.rings = new LRUCache({ max: limits.maxTopics ?? 10_000 });
    this.published = new LRUCache({ max: 100_000, ttl: (limits.dedupeSeconds ?? 86_400) * 1000 });
  }

  get topicCount(): number {
    return this.topics.size;
  }

  private nextId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else this.seq += 1;
    return `${this.lastMs}-${this.seq}`;
  }

  async publish(publications: readonly LivePublication[]): Promise<void> {
    for (const { rowId, event, topics } of publications) {
      for (const topic of topics) {
        const dedupe = `${topic}\u0000${rowId}`;
        if (this.published.has(dedupe)) continue;
        this.published.set(dedupe, true);
        const live: LiveEvent = { id: this.nextId(), topic, event, publishedAt: Date.now() };
        const ring = this.rings.get(topic) ?? [];
        ring.push(live);
        if (ring.length > this.maxLen) ring.splice(0, ring.length - this.maxLen);
        this.rings.set(topic, ring);
        const state = this.topics.get(topic);
        if (state) deliver(state, live);
      }
    }
  }

  subscribe(topic: string, handler: LiveHandler): LiveSubscription {
    let state = this.topics.get(topic);
    if (!state) this.topics.set(topic, (state = { handlers: new Set(), lastId: this.rings.get(topic)?.at(-1)?.id }));
    state.handlers.add(handler);
    return {
      ready: Promise.resolve(),
      unsubscribe: () => {
        state.handlers.delete(handler);
        if (state.handlers.size === 0 && this.topics.get(topic) === state) this.topics.delete(topic);
      },
    };
  }

  async replay(topic: string, afterId: string): Promise<LiveEvent[]> {
    const ring = this.rings.peek(topic) ?? [];
    const at = ring.findIndex((event) => event.id === afterId);
    if (at < 0) throw new EventsExpiredError(topic, afterId);
    return ring.slice(at + 1);
  }

  async close(): Promise<void> {
    this.topics.clear();
  }
}

/**
 * Unless the row is among the topic's published rows (a sorted set, scored by time), appends
 * the event to the topic's stream (capped exactly), publishes it with its stream id, and
 * records the row. The set forgets rows older than the dedupe window and keeps at most a
 * bound per topic, and both keys expire when the topic goes quiet: Redis holds two keys per
 * active topic, not one per event. KEYS: rows, stream (one hash slot). ARGV: channel, dedupe
 * seconds, max length, stream ttl seconds, event JSON, row id, now (ms), rows kept at most.
 */
const PUBLISH_SCRIPT = `
if redis.call('ZSCORE', KEYS[1], ARGV[6]) then return false end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], '*', 'r', ARGV[6], 'at', ARGV[7], 'e', ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[1], ARGV[7], ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (tonumber(ARGV[7]) - tonumber(ARGV[2]) * 1000))
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[8]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[1], '{"id":"' .. id .. '","at":' .. ARGV[7] .. ',"event":' .. ARGV[5] .. '}')
return id
`;

type LiveRedis = Redis & {
  livePublish(dedupeKey: string, stream: string, ...args: (string | number)[]): Promise<string | null>;
};

export interface RedisLiveBusOptions extends LiveBusLimits {
  /** Runs the publish script and reads streams; should fail fast (no offline queue). */
  publisher: Redis;
  /** Subscriber-mode connection that reconnects by itself. */
  subscriber: Redis;
  /** Namespaces keys and channels (`CACHE_KEY_PREFIX`). */
  prefix: string;
  /** A handler threw, or a catch-up read failed. */
  onError?: (error: unknown) => void;
}

export class RedisLiveBus implements LiveBus {
  private readonly pubsub: RedisPubSub;
  private readonly publisher: LiveRedis;
  private readonly topics = new Map<string, TopicState & { subId: Promise<number>; catchUp: LiveEvent[] | undefined }>();
  private readonly maxLen: number;
  private readonly ttlSeconds: number;
  private readonly dedupeSeconds: number;
  private connectedBefore = false;

  constructor(private readonly options: RedisLiveBusOptions) {
    this.maxLen = options.maxLen ?? 1000;
    this.ttlSeconds = options.ttlSeconds ?? 3600;
    this.dedupeSeconds = options.dedupeSeconds ?? 86_400;
    this.publisher = options.publisher as LiveRedis;
    this.publisher.defineCommand('livePublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    this.pubsub = new RedisPubSub({ publisher: options.publisher, subscriber: options.subscriber });
    if (options.subscriber.status === 'ready') this.connectedBefore = true;
    options.subscriber.on('ready', this.onSubscriberReady);
  }

  get topicCount(): number {
    return this.topics.size;
  }

  /** `{topic}` keeps a topic's stream and dedupe keys in one Redis Cluster hash slot. */
  private streamKey(topic: string): string {
    return `${this.options.prefix}:live:{${topic}}:stream`;
  }

  channel(topic: string): string {
    return `${this.options.prefix}:live:${topic}`;
  }

  async publish(publications: readonly LivePublication[]): Promise<void> {
    // One script per topic, sent together (one round trip), in row order.
    await Promise.all(
      publications.flatMap(({ rowId, event, topics }) => {
        const json = JSON.stringify(event);
        return topics.map((topic) =>
          this.publisher.livePublish(
            `${this.options.prefix}:live:{${topic}}:rows`,
            this.streamKey(topic),
            this.channel(topic),
            this.dedupeSeconds,
            this.maxLen,
            this.ttlSeconds,
            json,
            rowId,
            Date.now(),
            this.options.dedupeMaxPerTopic ?? 10_000,
          ),
        );
      }),
    );
  }

  subscribe(topic: string, handler: LiveHandler): LiveSubscription {
    let state = this.topics.get(topic);
    if (!state) {
      const created = {
        handlers: new Set<LiveHandler>(),
        lastId: undefined as string | undefined,
        catchUp: undefined as LiveEvent[] | undefined,
        subId: this.pubsub.subscribe(this.channel(topic), (message: { id: string; at: number; event: DomainEvent }) =>
          this.onMessage(topic, { id: message.id, topic, event: message.event, publishedAt: message.at }),
        ),
      };
      state = created;
      this.topics.set(topic, created);
      // Where this instance starts: what a catch-up after a reconnect reads from.
      void created.subId
        .then(() => this.options.publisher.xrevrange(this.streamKey(topic), '+', '-', 'COUNT', 1))
        .then((last) => {
          // No stream yet: a catch-up reads it from its start.
          const id = last[0]?.[0] ?? '0-0';
          if (created.lastId === undefined || compareEventIds(id, created.lastId) > 0) created.lastId = id;
        })
        .catch(() => undefined);
    }
    const subscribed = state;
    subscribed.handlers.add(handler);
    return {
      ready: subscribed.subId.then(() => undefined),
      unsubscribe: () => {
        subscribed.handlers.delete(handler);
        if (subscribed.handlers.size > 0 || this.topics.get(topic) !== subscribed) return;
        this.topics.delete(topic);
        // After the SUBSCRIBE settled: RedisPubSub would otherwise keep a pending one forever.
        void subscribed.subId.then((id) => this.pubsub.unsubscribe(id)).catch(() => undefined);
      },
    };
  }

  private onMessage(topic: string, event: LiveEvent): void {
    const state = this.topics.get(topic);
    if (!state) return;
    if (state.catchUp) state.catchUp.push(event);
    else deliver(state, event, this.options.onError);
  }

  /**
   * After a reconnect each topic reads what it missed from its stream. ioredis re-subscribes
   * right after announcing `ready`; a PING sent behind those SUBSCRIBEs answers once they are
   * in place, so nothing published after the read can slip between it and the subscription.
   * Messages arriving meanwhile are held, then delivered after the read, duplicates skipped.
   */
  private readonly onSubscriberReady = () => {
    if (!this.connectedBefore) {
      this.connectedBefore = true;
      return;
    }
    const catching = [...this.topics].filter(([, state]) => !state.catchUp && state.lastId !== undefined);
    for (const [, state] of catching) state.catchUp = [];
    process.nextTick(() => {
      void this.options.subscriber
        .ping()
        .catch(() => undefined)
        .then(() =>
          Promise.all(
            catching.map(async ([topic, state]) => {
              let missed: LiveEvent[] = [];
              try {
                missed = await this.read(topic, `(${state.lastId!}`);
              } catch (error) {
                this.options.onError?.(error);
              }
              const held = state.catchUp ?? [];
              state.catchUp = undefined;
              for (const event of [...missed, ...held]) deliver(state, event, this.options.onError);
            }),
          ),
        );
    });
  };

  private async read(topic: string, from: string): Promise<LiveEvent[]> {
    const entries = await this.options.publisher.xrange(this.streamKey(topic), from, '+', 'COUNT', this.maxLen + 1);
    return entries.map(([id, fields]) => {
      const map = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
      return { id, topic, event: JSON.parse(map.get('e')!) as DomainEvent, publishedAt: Number(map.get('at')) };
    });
  }

  async replay(topic: string, afterId: string): Promise<LiveEvent[]> {
    // Inclusive: `afterId` itself must still be there, or what followed it may have been trimmed.
    const entries = await this.read(topic, afterId);
    if (entries[0]?.id !== afterId) throw new EventsExpiredError(topic, afterId);
    return entries.slice(1);
  }

  async close(): Promise<void> {
    this.options.subscriber.off('ready', this.onSubscriberReady);
    for (const state of this.topics.values()) void state.subId.then((id) => this.pubsub.unsubscribe(id)).catch(() => undefined);
    this.topics.clear();
  }
}
