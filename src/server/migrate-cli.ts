/** `npm run migrate`: applies pending migrations to the configured (or embedded) database. */
import { loadConfig } from '../config';
import { entities } from '../modules';
import { startEmbeddedPostgres } from '../db/embedded';
import { createDatabase, migrate } from '../db/orm';

async function main(): Promise<void> {
  const config = loadConfig();
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.embeddedDataDir);
  const database = await createDatabase({ clientUrl: config.databaseUrl ?? embedded!.url, entities, poolMax: 1 });
  try {
    await migrate(database.orm);
    process.stdout.write('Migrations applied.\n');
  } finally {
    await database.close();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
