/**
 * Spreads invalidations to every instance over Redis pub/sub and waits until they have acted.
 *
 * Pub/sub alone does not promise that, after a mutation answers, no instance serves the old
 * value: the message may still be in flight when the client's next request lands elsewhere.
 * So the writer publishes the tags (PUBLISH says how many instances received them), every
 * instance drops them from its L1 and acknowledges on a second channel, and the writer waits,
 * for a bounded time, for as many acknowledgements as receivers. A writer that stops waiting
 * says so, naming who acknowledged in time; every other instance then empties its whole L1 (it
 * acted after the write answered, or never did). Whether an instance was late is the writer's
 * verdict alone: comparing its clock with a receiver's would judge the clocks, not the delay.
 * One whose subscriber connection dropped stops using L1 until it is back, since it may have
 * missed messages; so does one whose connection stays open but stops answering (a stalled
 * network path, a Redis stuck behind a slow command), found by a PING on the subscriber
 * connection every `probeMs`: its invalidations are held up with the PING's reply, and once
 * the reply comes every message sent before it has come too.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { closeRedis } from '../redis/clients';
import { withTimeout } from './redis-store';
import type { TwoTierCache } from './two-tier-cache';

export interface InvalidationChannelOptions {
  cache: TwoTierCache;
  /** Publishes invalidations and acknowledgements (the cache client is fine). */
  publisher: Redis;
  /** A dedicated connection; it is put in subscriber mode. */
  subscriber: Redis;
  /** Channel names are derived from it: `<prefix>:invalidate`, `<prefix>:ack`. */
  prefix: string;
  /** Default 500. How long a writer waits for acknowledgements. */
  ackTimeoutMs?: number;
  /** Default 250. How long a PUBLISH may take before it counts as failed. */
  commandTimeoutMs?: number;
  /**
   * Default 1000. How often the subscriber connection is asked to answer a PING, and how long
   * it may take: past that, L1 is not used until it answers. 0: no probe.
   */
  probeMs?: number;
  onEvent?: (event: InvalidationEvent, detail?: unknown) => void;
}

export type InvalidationEvent =
  | 'published'
  | 'received'
  | 'subscriber-down'
  | 'subscriber-up'
  | 'subscriber-stalled'
  | 'late'
  | 'ack-timeout'
  | 'publish-failed';

interface Message {
  id: string;
  /** The publishing instance: it counts its own receipt without an acknowledgement over Redis. */
  from: string;
  tags: string[];
  /** Set by a purge: the key generation every instance moves to. */
  generation?: number;
  /**
   * Sent after message `id` by a writer that stopped waiting: the instances that acknowledged
   * in time. Any other may have served what `id` dropped after the write answered.
   */
  abandoned?: string[];
}

export interface InvalidationResult {
  /** Instances that received the message (this one included), per PUBLISH. */
  receivers: number;
  acknowledged: number;
  /**
   * False when Redis's own entries were not reached (the tag versions did not move): other
   * instances' L1s dropped the tags, but their Redis reads could still find the old entries
   * until this instance delivers them. Absent: nothing to reach (a purge).
   */
  stored?: boolean;
}

export class InvalidationChannel {
  readonly instanceId = randomUUID();
  private readonly invalidateChannel: string;
  private readonly ackChannel: string;
  private readonly ackTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly waiting = new Map<string, { needed: number; from: Set<string>; done: () => void }>();
  private started = false;
  private readonly probeMs: number;
  private probeTimer: NodeJS.Timeout | undefined;
  /** L1 is distrusted because the probe went unanswered (not because the connection closed). */
  private stalled = false;

  constructor(private readonly options: InvalidationChannelOptions) {
    this.invalidateChannel = `${options.prefix}:invalidate`;
    this.ackChannel = `${options.prefix}:ack`;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 500;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 250;
    this.probeMs = options.probeMs ?? 1000;
  }

  /**
   * Subscribes. Resolves within `waitMs` even when Redis is away: until the subscription is
   * in place this instance does not use its L1 (it could not hear invalidations), and it
   * starts using it once subscribed. The cache must never keep the API from starting.
   */
  async start(waitMs = 2000): Promise<void> {
    const { subscriber, cache } = this.options;
    subscriber.on('message', (channel: string, payload: string) => this.onMessage(channel, payload));
    subscriber.on('close', () => {
      if (!this.started) return;
      cache.distrustL1();
      this.options.onEvent?.('subscriber-down');
    });
    // After a reconnect, ioredis emits `ready` and only then sends its own SUBSCRIBE again. L1
    // is trusted again once Redis has confirmed a subscription of ours (from its reply on, no
    // message can be missed) and the generation has been read (a purge may have happened; and
    // if Redis restarted and forgot it, it gets ours back: see agreesOnGeneration).
    subscriber.on('ready', () => {
      if (!this.started || cache.isL1Trusted) return;
      subscriber
        .subscribe(this.invalidateChannel, this.ackChannel)
        .then(() => cache.settleGeneration())
        .then((generation) => {
          // Dropped again meanwhile: the next `ready` tries again.
          if (!this.started || subscriber.status !== 'ready') return;
          cache.purgeLocal(generation);
          cache.trustL1();
          this.options.onEvent?.('subscriber-up');
        })
        .catch(() => undefined);
    });
    this.started = true;
    this.scheduleProbe();
    // SUBSCRIBE is sent only once the connection is ready: ioredis writes it at once to a
    // connection still in its handshake, and Redis then refuses the handshake's INFO (the
    // connection is in subscriber mode), so the client drops and reconnects, and
    // acknowledgements sent meanwhile are lost.
    const ready = subscriber.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => subscriber.once('ready', () => resolve()));
    const subscribed = ready.then(() => subscriber.subscribe(this.invalidateChannel, this.ackChannel)).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      subscribed,
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
    ]).catch(() => false);
    clearTimeout(timer);
    if (inTime) return;
    cache.distrustL1();
    this.options.onEvent?.('subscriber-down');
    subscribed.then(
      () => {
        if (!this.started || cache.isL1Trusted) return;
        cache.trustL1();
        this.options.onEvent?.('subscriber-up');
      },
      () => undefined,
    );
  }

  /**
   * Drops `tags` here and in Redis, tells every instance, and resolves when all that received
   * the message have acknowledged it, or when the wait times out.
   */
  async invalidate(tags: readonly string[]): Promise<InvalidationResult> {
    const stored = await this.options.cache.invalidate(tags);
    return { ...(await this.broadcast({ id: randomUUID(), from: this.instanceId, tags: [...tags] })), stored };
  }

  /**
   * Empties the whole cache without scanning a key: moves every instance to a new key
   * generation (old entries are never read again and expire by themselves) and clears L1s.
   */
  async purge(): Promise<InvalidationResult & { generation: number }> {
    const { cache } = this.options;
    // Past both Redis's generation and this instance's, should they disagree.
    const generation = await cache.settleGeneration(1);
    if (generation === undefined) throw new Error('Redis did not answer; nothing was purged. Try again when it is back.');
    cache.purgeLocal(generation);
    const result = await this.broadcast({ id: randomUUID(), from: this.instanceId, tags: [], generation });
    return { ...result, generation };
  }

  private publish(channel: string, message: object): Promise<number> {
    return withTimeout(this.options.publisher.publish(channel, JSON.stringify(message)), this.commandTimeoutMs, 'publish');
  }

  private async broadcast(message: Message): Promise<InvalidationResult> {
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const wait = { needed: Number.POSITIVE_INFINITY, from: new Set<string>(), done: resolveDone };
    this.waiting.set(message.id, wait);
    try {
      const receivers = await this.publish(this.invalidateChannel, message);
      this.options.onEvent?.('published');
      wait.needed = receivers;
      if (wait.from.size >= receivers) return { receivers, acknowledged: wait.from.size };
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.ackTimeoutMs)));
      await Promise.race([done, timedOut]);
      clearTimeout(timer);
      const acknowledged = wait.from.size;
      if (acknowledged < receivers) {
        this.options.onEvent?.('ack-timeout', { receivers, acknowledged });
        const notice: Message = { id: message.id, from: this.instanceId, tags: [], abandoned: [...wait.from] };
        this.publish(this.invalidateChannel, notice).catch(() => undefined);
      }
      return { receivers, acknowledged };
    } catch (error) {
      // Redis unreachable: no other instance can hear us; theirs are cut off too and distrust L1.
      this.options.onEvent?.('publish-failed', error);
      return { receivers: 0, acknowledged: 0 };
    } finally {
      this.waiting.delete(message.id);
    }
  }

  private onMessage(channel: string, payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return; // Not ours to understand; dropping it is the only safe thing.
    }
    if (channel === this.ackChannel) {
      const ack = parsed as { id?: string; from?: string };
      this.acknowledged(ack.id, ack.from);
      return;
    }
    if (channel !== this.invalidateChannel) return;
    const message = parsed as Message;
    if (!Array.isArray(message.tags)) return;
    if (Array.isArray(message.abandoned)) {
      if (message.from !== this.instanceId && !message.abandoned.includes(this.instanceId)) {
        // The write answered before this instance had dropped what it changed.
        this.options.cache.l1.clear();
        this.options.onEvent?.('late', message.id);
      }
      return;
    }
    this.options.onEvent?.('received');
    // Our own message came back through our subscriber: that is the receipt PUBLISH counted, so
    // it is acknowledged here, without a round trip through Redis. The tags were dropped here
    // before publishing; dropping them again would refuse the fills of pages recomputed in
    // between from fresh data, and every write would cost its pages twice.
    if (message.from === this.instanceId) {
      this.acknowledged(message.id, this.instanceId);
      return;
    }
    if (typeof message.generation === 'number') {
      const { cache } = this.options;
      // A purge from an instance behind this one (Redis forgot the generation, and it started
      // since) must still empty this one: it moves past its own generation, and tells Redis.
      if (message.generation < cache.keys.generation) {
        cache.purgeLocal(cache.keys.generation + 1);
        void cache.settleGeneration();
      } else cache.purgeLocal(message.generation);
    }
    this.options.cache.dropLocal(message.tags);
    this.publish(this.ackChannel, { id: message.id, from: this.instanceId }).catch(() => {
      // The writer will time out and this instance has dropped the tags anyway.
    });
  }

  private acknowledged(id: string | undefined, from: string | undefined): void {
    const wait = this.waiting.get(id ?? '');
    if (!wait || typeof from !== 'string') return;
    wait.from.add(from);
    if (wait.from.size >= wait.needed) wait.done();
  }

  private scheduleProbe(): void {
    if (this.probeMs <= 0 || !this.started) return;
    this.probeTimer = setTimeout(() => void this.probe().finally(() => this.scheduleProbe()), this.probeMs);
    // The probe never keeps a process alive by itself.
    this.probeTimer.unref();
  }

  /**
   * One PING on the subscriber connection. Unanswered in `probeMs`: L1 is not used until one is
   * answered (the connection closing is handled by its own events).
   */
  private async probe(): Promise<void> {
    const { subscriber, cache } = this.options;
    if (subscriber.status !== 'ready') return;
    const answered = await withTimeout(subscriber.ping(), this.probeMs, 'subscriber PING').then(
      () => true,
      () => false,
    );
    if (!this.started || subscriber.status !== 'ready') return;
    if (!answered && cache.isL1Trusted) {
      this.stalled = true;
      cache.distrustL1();
      this.options.onEvent?.('subscriber-stalled');
    } else if (answered && this.stalled) {
      this.stalled = false;
      // Distrusted for another reason meanwhile (the connection dropped): its own recovery decides.
      if (cache.isL1Trusted) return;
      cache.trustL1();
      this.options.onEvent?.('subscriber-up');
    }
  }

  /** Whether this instance hears the others now (its subscription is in place). */
  get isSubscribed(): boolean {
    return this.started && this.options.cache.isL1Trusted;
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.probeTimer);
    for (const wait of this.waiting.values()) wait.done();
    await closeRedis(this.options.subscriber);
  }
}
