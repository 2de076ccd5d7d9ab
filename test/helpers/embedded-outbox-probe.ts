/**
 * Run as its own process by `outbox-embedded.test.ts` (PGlite cannot start inside Jest's module
 * sandbox): exercises the outbox on a fresh embedded database in `argv[2]` and prints what it
 * saw as one JSON line.
 */
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { API_APPLICATION_NAME, createDatabase, migrate } from '../../src/db/orm';
import { OutboxRelay } from '../../src/events/outbox-relay';
import { invalidationForOutboxRow } from '../../src/modules/invalidation';
import { entities } from '../../src/modules';

async function main(dataDir: string): Promise<Record<string, unknown>> {
  const embedded = await startEmbeddedPostgres(dataDir);
  const database = await createDatabase({ clientUrl: embedded.url, entities, poolMax: 1, embedded: true });
  const sql = <T = Record<string, unknown>>(query: string) => database.orm.em.getConnection().execute<T[]>(query);
  try {
    await migrate(database.orm);
    const seen: Record<string, unknown> = {};
    seen.applicationName = (await sql<{ name: string }>(`select current_setting('application_name') as name`))[0]!.name;
    await sql(`insert into category (name, slug) values ('Via the API', 'via-api')`);
    seen.rowsAfterApiWrite = (await sql('select type from outbox_event')).length;
    // Another program: the embedded database has a single connection, so it is the same one.
    await sql(`set application_name = 'psql'`);
    await sql(`update category set name = 'By hand' where slug = 'via-api'`);
    await sql(`set application_name = '${API_APPLICATION_NAME}'`);
    seen.rowsAfterForeignWrite = await sql('select type, payload from outbox_event');
    const applied: string[] = [];
    const relay = new OutboxRelay({
      database,
      planOf: invalidationForOutboxRow,
      apply: async (plan) => (applied.push(...plan.tags), { status: 'acknowledged', receivers: 1, acknowledged: 1 }),
      publishDelayMs: 0,
    });
    seen.published = await relay.poll();
    seen.applied = applied;
    seen.unpublished = (await sql('select id from outbox_event where published_at is null')).length;
    await sql(`update outbox_event set created_at = now() - interval '25 hours'`);
    seen.deleted = await relay.deleteExpired();
    return seen;
  } finally {
    await database.close();
    await embedded.stop();
  }
}

main(process.argv[2]!).then(
  (seen) => process.stdout.write(`${JSON.stringify(seen)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
