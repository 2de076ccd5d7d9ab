/**
 * What the command-line scripts share: the configured database (or the embedded one when
 * DATABASE_URL is unset), migrated, closed afterwards; and one way to report failure.
 */
import type { Config } from '../config';
import { startEmbeddedPostgres } from '../db/embedded';
import { createDatabase, migrate, type Database } from '../db/orm';
import { entities } from '../modules';

export async function withMigratedDatabase<T>(config: Config, run: (database: Database, embedded: boolean) => Promise<T>): Promise<T> {
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.embeddedDataDir);
  const database = await createDatabase({ clientUrl: config.databaseUrl ?? embedded!.url, entities, poolMax: 1, embedded: embedded !== undefined });
  try {
    await migrate(database.orm);
    return await run(database, embedded !== undefined);
  } finally {
    await database.close();
    await embedded?.stop();
  }
}

/** Runs a script's main, printing `<what> failed: <reason>` and exiting 1 on error. */
export function runScript(what: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${what} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
