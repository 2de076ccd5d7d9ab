/**
 * The transactional outbox. A write records what it changed as rows of `outbox_event` in its own
 * transaction (or in the very statement that changes the data), and publishes them once
 * committed: the cache drops their tags on every instance, then in-process subscribers hear
 * the domain events, and the live bus carries them to subscribers on every instance. A row stays
 * unpublished until every instance has acknowledged the drop and the live bus has taken it;
 * the relay (`outbox-relay.ts`) publishes rows left so for longer than a short delay, so a
 * writer cut off from Redis, or dead after its commit, loses no invalidation.
 *
 * One row per domain event, its payload the whole event, so live subscriptions can read the
 * same rows. Rows of other kinds share the table: `RowChanged`, written by the database's
 * triggers for writes made outside the API, and `CacheInvalidationRequested`, an operator's
 * `invalidateCache`.
 */
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Database } from '../db/orm';
import type { EventBus } from './bus';
import type { DomainEvent } from './domain-events';

export const OUTBOX_TABLE = 'outbox_event';

/** A row to write. `tags` null: whoever publishes it derives them from the payload. */
export interface OutboxRecord {
  type: string;
  payload: unknown;
  tags: readonly string[] | null;
}

/** A row read back. `id` is a bigint, so a string. */
export interface OutboxRow extends OutboxRecord {
  id: string;
}

/** What publishing some rows takes: tags to drop on every instance, and whether to empty the whole cache. */
export interface InvalidationPlan {
  tags: readonly string[];
  purge: boolean;
}

/**
 * How an invalidation went. `acknowledged`: every instance that received it dropped what it
 * named before the writer went on. `deferred`: Redis could not be reached, or some instance did
 * not acknowledge in time; the rows stay unpublished and the relay publishes them again.
 */
export interface InvalidationOutcome {
  status: 'acknowledged' | 'deferred';
  /** Instances that received it (this one included); 0 when Redis was not reached. */
  receivers: number;
  acknowledged: number;
}

/** Rows a write recorded, to publish once it has committed. */
export interface RecordedWrite {
  ids: readonly string[];
  plan: InvalidationPlan;
  /** The domain events among them, for in-process subscribers. */
  events: readonly DomainEvent[];
}

/** Rows whose tags are known or null; each as JSON, so any number of them is one parameter. */
function recordsParam(records: readonly OutboxRecord[]): string {
  return JSON.stringify(records.map((record) => ({ type: record.type, payload: record.payload, tags: record.tags })));
}

/**
 * An INSERT of `records` (one statement whatever their number), to run on its own or as a
 * data-modifying CTE of the statement that changes the data. With `gate`, the name of an
 * earlier CTE, the rows are written only if that CTE returned rows (the change happened).
 * Returns the new ids as `id`; ids are drawn in the records' order, so sorted they pair with
 * the records (RETURNING itself promises no order).
 */
export function outboxInsert(records: readonly OutboxRecord[], gate?: string): { sql: string; params: unknown[] } {
  return {
    sql: `insert into ${OUTBOX_TABLE} (type, payload, tags)
      select r.type, r.payload, case when jsonb_typeof(r.tags) = 'array' then array(select jsonb_array_elements_text(r.tags)) end
      from rows from (jsonb_to_recordset(?::jsonb) as (type text, payload jsonb, tags jsonb)) with ordinality as r(type, payload, tags, n)
      ${gate ? `where exists (select 1 from ${gate})` : ''}
      order by r.n
      returning id`,
    params: [recordsParam(records)],
  };
}

export interface EventOutboxOptions {
  database: Database;
  /** The tags each domain event makes stale. */
  tagsOf: (event: DomainEvent) => readonly string[];
  /** Drops what a plan names on every instance, and says how that went. */
  apply: (plan: InvalidationPlan) => Promise<InvalidationOutcome>;
  /** Hears the domain events after the drop. */
  bus: EventBus;
  /**
   * Publishes the write's rows to live subscribers after the drop (idempotent by row id).
   * Rejecting leaves the rows unpublished, for the relay to publish again. Default: none.
   */
  publishLive?: (rows: readonly OutboxRow[]) => Promise<void>;
  /** Told how each write's invalidation went (for the request's `extensions` and metrics). */
  onOutcome?: (outcome: InvalidationOutcome, write: RecordedWrite) => void;
  /** A failure to mark rows published: the relay publishes them again later. */
  onError?: (error: unknown) => void;
}

/** What services use to record their events and publish them after the commit. */
export class EventOutbox {
  private readonly toMark = new Set<string>();
  private marking: Promise<void> | undefined;

  constructor(private readonly options: EventOutboxOptions) {}

  /** The rows for `events`: each event whole as its payload, with its tags. */
  recordsOf(events: readonly DomainEvent[]): OutboxRecord[] {
    return events.map((event) => ({ type: event.type, payload: event, tags: [...this.options.tagsOf(event)] }));
  }

  /** Writes the rows for `events` through `em` (inside its transaction, if any): one statement. */
  async record(em: SqlEntityManager, events: readonly DomainEvent[]): Promise<RecordedWrite> {
    if (events.length === 0) return this.recorded([], []);
    const insert = outboxInsert(this.recordsOf(events));
    const rows = await em.execute<{ id: string }[]>(insert.sql, insert.params);
    return this.recorded(sortIds(rows.map((row) => String(row.id))), events);
  }

  /**
   * A write whose rows were inserted by its own statement (see `outboxInsert`): what to
   * publish. `plan` defaults to the events' tags.
   */
  recorded(ids: readonly (string | number)[], events: readonly DomainEvent[], plan?: InvalidationPlan): RecordedWrite {
    return {
      ids: ids.map(String),
      events,
      plan: plan ?? { tags: [...new Set(events.flatMap((event) => this.options.tagsOf(event)))], purge: false },
    };
  }

  /**
   * After the commit: drops the write's tags on every instance, then tells in-process
   * subscribers. Rows every instance acknowledged are marked published off the caller's path
   * (coalesced with other writes'); the others are left to the relay.
   */
  async publish(write: RecordedWrite): Promise<InvalidationOutcome> {
    let outcome: InvalidationOutcome;
    try {
      outcome = await this.options.apply(write.plan);
    } catch (error) {
      // The data is committed whatever happened here; the relay will publish the rows.
      this.options.onError?.(error);
      outcome = { status: 'deferred', receivers: 0, acknowledged: 0 };
    }
    const live = await this.publishLive(write);
    if (outcome.status === 'acknowledged' && live) this.markPublished(write.ids);
    this.options.onOutcome?.(outcome, write);
    if (write.events.length > 0) await this.options.bus.publish(...write.events);
    return outcome;
  }

  /** True when the write's events reached the live bus (or there was nothing to send). */
  private async publishLive(write: RecordedWrite): Promise<boolean> {
    const { publishLive } = this.options;
    if (!publishLive || write.events.length === 0) return true;
    // Ids and events pair up in order: both come from the one INSERT that wrote them.
    if (write.ids.length !== write.events.length) return false;
    try {
      await publishLive(write.events.map((event, i) => ({ id: write.ids[i]!, type: event.type, payload: event, tags: null })));
      return true;
    } catch (error) {
      this.options.onError?.(error);
      return false;
    }
  }

  /** Resolves once every row this outbox was asked to mark published has been (or has failed). */
  async settled(): Promise<void> {
    while (this.marking) await this.marking;
  }

  private markPublished(ids: readonly string[]): void {
    if (ids.length === 0) return;
    for (const id of ids) this.toMark.add(id);
    this.marking ??= this.flushMarks();
  }

  private async flushMarks(): Promise<void> {
    // One turn of the event loop lets the writes answered together share one UPDATE.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.toMark.size > 0) {
        const ids = [...this.toMark];
        this.toMark.clear();
        await markPublished(this.options.database, ids).catch((error: unknown) => this.options.onError?.(error));
      }
    } finally {
      this.marking = undefined;
    }
  }
}

/** Bigint ids in ascending order: the order `outboxInsert` drew them in, the records' order. */
export function sortIds(ids: readonly string[]): string[] {
  return [...ids].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

/** Marks rows published; rows a relay published meanwhile keep their time. */
export async function markPublished(database: Database, ids: readonly string[]): Promise<void> {
  await database.orm.em
    .getConnection()
    .execute(`update ${OUTBOX_TABLE} set published_at = clock_timestamp() where id = any(?::bigint[]) and published_at is null`, [
      `{${ids.join(',')}}`,
    ]);
}
