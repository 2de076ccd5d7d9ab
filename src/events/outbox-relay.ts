/**
 * Publishes outbox rows that their writer did not: it was cut off from Redis, some instance did
 * not acknowledge in time, it died after its commit, or the row was written by a trigger (a
 * write made outside the API) and has no writer here at all. Every instance runs one.
 *
 * Each poll takes rows unpublished for longer than `publishDelayMs` (their writer has had its
 * chance) with `FOR UPDATE SKIP LOCKED`, in a transaction: relays of other instances skip rows
 * one is publishing rather than publish them twice, or wait. The rows' tags are dropped on every
 * instance; only if every instance acknowledged are the rows marked published, then the
 * transaction commits and their locks go. A relay that dies meanwhile leaves them unpublished,
 * to be published again: a second drop of a tag is harmless, a lost one is not.
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
   * Redis is down): its publications would be deferred anyway, and the rows it locked meanwhile
   * would be withheld from relays that can.
   */
  canPublish?: () => boolean;
  /** Default 1000. Milliseconds between polls. */
  pollMs?: number;
  /** Default 2000. How long a row is left to its writer before a relay publishes it. */
  publishDelayMs?: number;
  /** Default 100. Rows per transaction. */
  batchSize?: number;
  /** Default 10. Transactions per poll at most, so one poll stays bounded after a backlog. */
  maxBatchesPerPoll?: number;
  /** Default 24. Hours a row is kept after its creation once published. */
  retentionHours?: number;
  /** Default 60000. Milliseconds between two deletions of expired rows. */
  retentionEveryMs?: number;
  /** Default 1000. Rows per DELETE. */
  retentionBatchSize?: number;
  /** Default 10. DELETEs per deletion run at most. */
  maxRetentionBatches?: number;
  /** Rows this relay published, after each transaction that published some. */
  onPublished?: (count: number) => void;
  /** A poll or deletion that failed; the next one tries again. */
  onError?: (error: unknown) => void;
}

export class OutboxRelay {
  private readonly pollMs: number;
  private readonly publishDelayMs: number;
  private readonly batchSize: number;
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
   * Publishes the rows that are due, a batch per transaction, until none is left or
   * `maxBatchesPerPoll` is reached. Resolves to how many it published. Safe to call while the
   * timer runs (tests do), and from several instances at once.
   */
  async poll(): Promise<number> {
    if (this.options.canPublish && !this.options.canPublish()) return 0;
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
    const { database } = this.options;
    const due = `published_at is null and created_at <= clock_timestamp() - ? * interval '1 millisecond'`;
    // Idle polls, nearly all of them, cost this one statement and no transaction.
    const [any] = await database.orm.em.getConnection().execute<unknown[]>(`select 1 from ${OUTBOX_TABLE} where ${due} limit 1`, [
      this.publishDelayMs,
    ]);
    if (!any) return { published: 0 };
    return database.orm.em.fork().transactional(async (tx) => {
      const rows = await tx.execute<{ id: string | number; type: string; payload: unknown; tags: string[] | null }[]>(
        `select id, type, payload, tags from ${OUTBOX_TABLE} where ${due} order by id limit ? for update skip locked`,
        [this.publishDelayMs, this.batchSize],
      );
      if (rows.length === 0) return { published: 0 };
      const plan = mergePlans(rows.map((row) => this.options.planOf({ ...row, id: String(row.id) })));
      const outcome = await this.options.apply(plan);
      // Not every instance heard it: the rows stay unpublished, and are tried again next poll.
      if (outcome.status !== 'acknowledged') return { published: 0 };
      await this.options.publishLive?.(rows.map((row) => ({ ...row, id: String(row.id) })));
      await tx.execute(`update ${OUTBOX_TABLE} set published_at = clock_timestamp() where id = any(?::bigint[])`, [
        `{${rows.map((row) => row.id).join(',')}}`,
      ]);
      return { published: rows.length };
    });
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
