/**
 * The outbox relay on its own, against a real PostgreSQL with no API running: relays of several
 * instances never publish one row at the same time (SKIP LOCKED), a row is marked published
 * only when every instance acknowledged, polls never overlap and stop cleanly, and retention
 * deletes old published rows only, in bounded batches.
 */
import { createDatabase, migrate, type Database } from '../../src/db/orm';
import { outboxInsert, type InvalidationOutcome, type InvalidationPlan } from '../../src/events/outbox';
import { OutboxRelay, type OutboxRelayOptions } from '../../src/events/outbox-relay';
import { invalidationForOutboxRow } from '../../src/modules/invalidation';
import { entities } from '../../src/modules';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { until } from '../helpers/until';

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase('outbox_relay');
  database = await createDatabase({ clientUrl: testDb.url, entities, poolMax: 5 });
  await migrate(database.orm);
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});
beforeEach(() => sql('truncate outbox_event'));

function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  return database.orm.em.getConnection().execute<T[]>(query, params);
}

/** `count` rows due now, tagged `Test:<n>`. */
async function insertDue(count: number): Promise<void> {
  const records = Array.from({ length: count }, (_, n) => ({ type: 'ProductUpdated', payload: { n }, tags: [`Test:${n}`] }));
  const insert = outboxInsert(records);
  await sql(insert.sql, insert.params);
}

const acknowledged: InvalidationOutcome = { status: 'acknowledged', receivers: 2, acknowledged: 2 };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function relay(options: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  return new OutboxRelay({
    database,
    planOf: invalidationForOutboxRow,
    apply: async () => acknowledged,
    publishDelayMs: 0,
    ...options,
  });
}

describe('two relays at once', () => {
  it('never publish one row twice: each skips the rows the other holds', async () => {
    await insertDue(40);
    const applied: string[][] = [[], []];
    const relays = [0, 1].map((i) =>
      relay({
        batchSize: 5,
        apply: async (plan: InvalidationPlan) => {
          applied[i]!.push(...plan.tags);
          // Hold the rows' lease long enough for the other relay to come by.
          await pause(30);
          return acknowledged;
        },
      }),
    );
    const published = await Promise.all(relays.map((r) => r.poll()));
    expect(published[0]! + published[1]!).toBe(40);
    const all = [...applied[0]!, ...applied[1]!];
    expect(new Set(all).size).toBe(40);
    expect(all).toHaveLength(40);
    // Both took part: the second did not wait for the first's rows, it took others.
    expect(applied[0]!.length).toBeGreaterThan(0);
    expect(applied[1]!.length).toBeGreaterThan(0);
    expect((await sql<{ n: number }>('select count(*)::int as n from outbox_event where published_at is null'))[0]!.n).toBe(0);
  });

  it('one does not wait for the rows the other holds: it publishes the next ones meanwhile', async () => {
    await insertDue(10);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    const slow = relay({
      batchSize: 5,
      maxBatchesPerPoll: 1,
      apply: async () => {
        holding = true;
        await released;
        return acknowledged;
      },
    });
    const slowPoll = slow.poll();
    await until(() => holding);
    const tags: string[] = [];
    const quick = relay({ batchSize: 5, maxBatchesPerPoll: 1, apply: async (plan) => (tags.push(...plan.tags), acknowledged) });
    // The slow relay's rows are leased: this one takes the next ones rather than wait.
    expect(await quick.poll()).toBe(5);
    expect(tags).toEqual(['Test:5', 'Test:6', 'Test:7', 'Test:8', 'Test:9']);
    release();
    expect(await slowPoll).toBe(5);
  });

  it('leave rows unpublished when not every instance acknowledged, and publish them on a later poll', async () => {
    await insertDue(3);
    let outcome: InvalidationOutcome = { status: 'deferred', receivers: 2, acknowledged: 1 };
    const r = relay({ apply: async () => outcome });
    expect(await r.poll()).toBe(0);
    expect((await sql<{ n: number }>('select count(*)::int as n from outbox_event where published_at is null'))[0]!.n).toBe(3);
    outcome = acknowledged;
    expect(await r.poll()).toBe(3);
  });

  it('wait for the publish delay: a writer\'s own rows are its own for that long', async () => {
    await insertDue(1);
    expect(await relay({ publishDelayMs: 60_000 }).poll()).toBe(0);
    expect(await relay({ publishDelayMs: 0 }).poll()).toBe(1);
  });

  it('do not try while this instance cannot reach the others', async () => {
    await insertDue(1);
    let applied = 0;
    const r = relay({ canPublish: () => false, apply: async () => (applied++, acknowledged) });
    expect(await r.poll()).toBe(0);
    expect(applied).toBe(0);
  });

  it('one that cannot reach Redis gives its rows back at once and backs off, so another publishes them', async () => {
    await insertDue(3);
    let tries = 0;
    const cutOff = relay({
      failureBackoffMs: 60_000,
      apply: async () => {
        tries += 1;
        return { status: 'deferred', receivers: 0, acknowledged: 0 };
      },
    });
    expect(await cutOff.poll()).toBe(0);
    // Backing off: it does not lease the rows again (each lease would withhold them from others).
    expect(await cutOff.poll()).toBe(0);
    expect(tries).toBe(1);
    expect(await relay().poll()).toBe(3);
  });

  it('one that hangs while publishing holds its rows no longer than its lease', async () => {
    await insertDue(2);
    let hanging = false;
    const hung = relay({
      leaseMs: 300,
      apply: () => {
        hanging = true;
        return new Promise<never>(() => undefined);
      },
    });
    void hung.poll();
    await until(() => hanging);
    expect(await relay().poll()).toBe(0);
    await pause(350);
    expect(await relay().poll()).toBe(2);
  });

  it('send their statements as background work, outside the exact counts', async () => {
    await insertDue(2);
    const before = database.sql.total;
    const backgroundBefore = database.sql.backgroundTotal;
    expect(await relay().poll()).toBe(2);
    expect(await relay().poll()).toBe(0);
    expect(database.sql.total).toBe(before);
    // A publishing poll: check, lease (UPDATE ... RETURNING), mark published; an idle one: the check.
    expect(database.sql.backgroundTotal - backgroundBefore).toBe(4);
  });
});

describe('a running relay', () => {
  it('never overlaps itself, and stops cleanly with a poll under way', async () => {
    let inside = 0;
    let most = 0;
    let calls = 0;
    const r = relay({
      pollMs: 10,
      batchSize: 1,
      maxBatchesPerPoll: 1,
      apply: async () => {
        inside += 1;
        calls += 1;
        most = Math.max(most, inside);
        await pause(50);
        inside -= 1;
        return acknowledged;
      },
    });
    await insertDue(5);
    r.start();
    await until(() => calls >= 3);
    await r.stop();
    const afterStop = calls;
    expect(inside).toBe(0);
    expect(most).toBe(1);
    await pause(100);
    expect(calls).toBe(afterStop);
  });
});

describe('retention', () => {
  it('deletes published rows older than the retention, in bounded batches, and nothing else', async () => {
    await sql(`insert into outbox_event (type, payload, created_at, published_at) values
      ('Old', '{}', now() - interval '25 hours', now() - interval '25 hours'),
      ('Old', '{}', now() - interval '30 hours', now() - interval '30 hours'),
      ('Old', '{}', now() - interval '26 hours', now() - interval '26 hours'),
      ('OldUnpublished', '{}', now() - interval '48 hours', null),
      ('Recent', '{}', now() - interval '23 hours', now() - interval '23 hours'),
      ('New', '{}', now(), null)`);
    const r = relay({ retentionHours: 24, retentionBatchSize: 2, maxRetentionBatches: 10 });
    expect(await r.deleteExpired()).toBe(3);
    const left = await sql<{ type: string }>('select type from outbox_event order by id');
    expect(left.map((row) => row.type)).toEqual(['OldUnpublished', 'Recent', 'New']);
  });

  it('stops after maxRetentionBatches, leaving the rest for the next run', async () => {
    await sql(`insert into outbox_event (type, payload, created_at, published_at)
      select 'Old', '{}', now() - interval '25 hours', now() - interval '25 hours' from generate_series(1, 5)`);
    const r = relay({ retentionHours: 24, retentionBatchSize: 2, maxRetentionBatches: 2 });
    expect(await r.deleteExpired()).toBe(4);
    expect(await r.deleteExpired()).toBe(1);
  });
});
