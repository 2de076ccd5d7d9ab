/**
 * Publishes outbox rows that their writer did not: it was cut off from Redis, some instance did
 * not acknowledge in time, it died after its commit, or the row was written by a trigger (a
 * write made outside the API) and has no writer here at all. Every instance runs one.
 *
 * Each poll leases rows unpublished for longer than `publishDelayMs` (their writer has had its
 * chance) in one statement (`FOR UPDATE SKIP LOCKED` inside it, so two relays never lease the same
 * row), then publishes them outside any transaction: their tags are dropped on every instance,
 * and only if every instance acknowledged are the rows marked published. Otherwise the lease is
 * given back at once, and a relay that could not reach Redis at all skips its next polls
 * (`failureBackoffMs`), so relays that can reach it take the rows. A relay that dies or hangs
 * mid-way holds them no longer than `leaseMs`. A second drop of a tag is harmless, a lost one
 * is not.
 *
 * Published rows are deleted once older than the retention, a bounded batch at a time.
 */
import type { Database } from '../db/orm';
import { OUTBOX_TABLE, type InvalidationOutcome, type InvalidationPlan, type OutboxRow } from './outbox';

export interface OutboxRelayOptions {
  database: Database;
  /** What publishing one row takes (its tags, or derived from its payload). */
  planOf: (row: OutboxRow) => InvalidationPlan;
  /** Drops what a plan names on every instance, and says how that went. */
  apply: (plan: InvalidationPlan) => Promise<InvalidationOutcome>;
  /**
   * Publishes the rows to live subscribers once their drop is acknowledged (idempotent by row
   * id: a row its writer published already reaches nobody twice). Rejecting leaves them
   * unpublished. Default: none.
   */
  publishLive?: (rows: readonly OutboxRow[]) => Promise<void>;
  /**
   * Default: always. False while this instance cannot reach the others (its subscriber to
   * Redis is down): its publications would be deferred anyway, and the rows it leased meanwhile
   * would be withheld from relays that can.
   */
  canPublish?: () => boolean;
  /** Default 1000. Milliseconds between polls. */
  pollMs?: number;
  /** Default 2000. How long a row is left to its writer before a relay publishes it. */
  publishDelayMs?: number;
  /** Default 100. Rows per lease. */
  batchSize?: number;
  /**
   * Default 10000. How long leased rows are withheld from other relays: longer than a
   * publication can take (the Redis timeouts plus `CACHE_ACK_TIMEOUT_MS`).
   */
  leaseMs?: number;
  /**
   * Default two `pollMs`. How long a relay that could not reach Redis waits before leasing
   * again: long enough for relays that can to take the rows, short enough that, when none can,
   * it tries again soon after Redis is back (a backoff of seconds held rows past the guarantee's
   * window after a brief fault).
   */
  failureBackoffMs?: number;
  /** Default 10. Leases per poll at most, so one poll stays bounded after a backlog. */
  maxBatchesPerPoll?: number;
  /** Default 24. Hours a row is kept after its creation once published. */
  retentionHours?: number;
  /** Default 60000. Milliseconds between two deletions of expired rows. */
  retentionEveryMs?: number;
  /** Default 1000. Rows per DELETE. */
  retentionBatchSize?: number;
  /** Default 10. DELETEs per deletion run at most. */
  maxRetentionBatches?: number;
  /** Rows this relay published, after each lease that published some. */
  onPublished?: (count: number) => void;
  /** A poll or deletion that failed; the next one tries again. */
  onError?: (error: unknown) => void;
}

export class OutboxRelay {
  private readonly pollMs: number;
  private readonly publishDelayMs: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly failureBackoffMs: number;
  /** Until when this relay leases nothing: its last publication could not reach Redis. */
  private backoffUntil = 0;
  private readonly maxBatchesPerPoll: number;
  private readonly retentionHours: number;
  private readonly retentionEveryMs: number;
  private readonly retentionBatchSize: number;
  private readonly maxRetentionBatches: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastRetention = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.pollMs = options.pollMs ?? 1000;
    this.publishDelayMs = options.publishDelayMs ?? 2000;
    this.batchSize = options.batchSize ?? 100;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.failureBackoffMs = options.failureBackoffMs ?? 2 * this.pollMs;
    this.maxBatchesPerPoll = options.maxBatchesPerPoll ?? 10;
    this.retentionHours = options.retentionHours ?? 24;
    this.retentionEveryMs = options.retentionEveryMs ?? 60_000;
    this.retentionBatchSize = options.retentionBatchSize ?? 1000;
    this.maxRetentionBatches = options.maxRetentionBatches ?? 10;
  }

  /** Polls every `pollMs`; the next poll is scheduled only once the last one has finished. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // The first deletion waits a full period: a start (or a test) need not pay for it.
    this.lastRetention = Date.now();
    this.schedule();
  }

  /** Stops polling; resolves once a poll under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.pollMs);
    // A relay never keeps a process alive by itself.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.poll();
      if (Date.now() - this.lastRetention >= this.retentionEveryMs) {
        this.lastRetention = Date.now();
        await this.deleteExpired();
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /**
   * Publishes the rows that are due, a batch per lease, until none is left or
   * `maxBatchesPerPoll` is reached. Resolves to how many it published. Safe to call while the
   * timer runs (tests do), and from several instances at once.
   */
  async poll(): Promise<number> {
    if (this.options.canPublish && !this.options.canPublish()) return 0;
    if (Date.now() < this.backoffUntil) return 0;
    const { database } = this.options;
    let published = 0;
    for (let batch = 0; batch < this.maxBatchesPerPoll; batch += 1) {
      const result = await database.sql.background(() => this.publishBatch());
      published += result.published;
      if (result.published > 0) this.options.onPublished?.(result.published);
      if (result.published < this.batchSize) break;
    }
    return published;
  }

  private async publishBatch(): Promise<{ published: number }> {
    const connection = this.options.database.orm.em.getConnection();
    const due = `published_at is null and created_at <= clock_timestamp() - ? * interval '1 millisecond'
      and (claimed_until is null or claimed_until <= clock_timestamp())`;
    // Idle polls, nearly all of them, cost this one statement.
    const [any] = await connection.execute<unknown[]>(`select 1 from ${OUTBOX_TABLE} where ${due} limit 1`, [this.publishDelayMs]);
    if (!any) return { published: 0 };
    const rows = await connection.execute<{ id: string | number; type: string; payload: unknown; tags: string[] | null }[]>(
      `update ${OUTBOX_TABLE} set claimed_until = clock_timestamp() + ? * interval '1 millisecond'
       where id in (select id from ${OUTBOX_TABLE} where ${due} order by id limit ? for update skip locked)
       returning id, type, payload, tags`,
      [this.leaseMs, this.publishDelayMs, this.batchSize],
    );
    if (rows.length === 0) return { published: 0 };
    rows.sort((x, y) => Number(x.id) - Number(y.id));
    const ids = `{${rows.map((row) => row.id).join(',')}}`;
    const plan = mergePlans(rows.map((row) => this.options.planOf({ ...row, id: String(row.id) })));
    let outcome: InvalidationOutcome;
    try {
      outcome = await this.options.apply(plan);
    } catch (error) {
      this.options.onError?.(error);
      outcome = { status: 'deferred', receivers: 0, acknowledged: 0 };
    }
    if (outcome.status === 'acknowledged') outcome = await this.deliver(rows, outcome);
    if (outcome.status === 'acknowledged') {
      await connection.execute(`update ${OUTBOX_TABLE} set published_at = clock_timestamp(), claimed_until = null where id = any(?::bigint[])`, [ids]);
      return { published: rows.length };
    }
    // Not every instance heard it: given back for the next poll, here or on another instance.
    if (outcome.receivers === 0) this.backoffUntil = Date.now() + this.failureBackoffMs;
    await connection.execute(`update ${OUTBOX_TABLE} set claimed_until = null where id = any(?::bigint[]) and published_at is null`, [ids]);
    return { published: 0 };
  }

  /** Hands acknowledged rows to live subscribers; a failure leaves them for a later poll. */
  private async deliver(rows: readonly { id: string | number; type: string; payload: unknown; tags: string[] | null }[], outcome: InvalidationOutcome): Promise<InvalidationOutcome> {
    if (!this.options.publishLive) return outcome;
    try {
      await this.options.publishLive(rows.map((row) => ({ ...row, id: String(row.id) })));
      return outcome;
    } catch (error) {
      this.options.onError?.(error);
      return { ...outcome, status: 'deferred' };
    }
  }

  /**
   * Deletes published rows older than the retention, `retentionBatchSize` at a time, at most
   * `maxRetentionBatches` times. Unpublished rows are kept whatever their age. Resolves to how
   * many it deleted.
   */
  async deleteExpired(): Promise<number> {
    const { database } = this.options;
    let deleted = 0;
    for (let batch = 0; batch < this.maxRetentionBatches; batch += 1) {
      const rows = await database.sql.background(() =>
        database.orm.em.getConnection().execute<{ id: string }[]>(
          `delete from ${OUTBOX_TABLE} where id in (
             select id from ${OUTBOX_TABLE}
             where created_at < clock_timestamp() - ? * interval '1 hour' and published_at is not null
             order by created_at limit ? for update skip locked)
           returning id`,
          [this.retentionHours, this.retentionBatchSize],
        ),
      );
      deleted += rows.length;
      if (rows.length < this.retentionBatchSize) break;
    }
    return deleted;
  }
}

/** One plan for several rows: every tag once, and a purge if any row needs one. */
export function mergePlans(plans: readonly InvalidationPlan[]): InvalidationPlan {
  return { tags: [...new Set(plans.flatMap((plan) => plan.tags))], purge: plans.some((plan) => plan.purge) };
}
