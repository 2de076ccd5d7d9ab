/**
 * `npm run seed -- --size demo|bench`: replaces the data of the configured database (or of
 * the embedded one when DATABASE_URL is unset) with the deterministic dataset.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { entities } from '../modules';
import { hashPassword } from '../session/password';
import { startEmbeddedPostgres } from '../db/embedded';
import { createDatabase, migrate } from '../db/orm';
import { DATASET_SIZES, SEED_PASSWORD, type DatasetSize } from '../db/seed/dataset';
import { seed } from '../db/seed/seed';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: 'string', default: 'demo' } } });
  const size = values.size as DatasetSize;
  if (!(size in DATASET_SIZES)) throw new Error(`--size must be one of ${Object.keys(DATASET_SIZES).join(', ')}`);
  const config = loadConfig();
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.embeddedDataDir);
  const database = await createDatabase({ clientUrl: config.databaseUrl ?? embedded!.url, entities, poolMax: 1 });
  try {
    await migrate(database.orm);
    const started = Date.now();
    const data = await seed(database.orm, { size, passwordHash: await hashPassword(SEED_PASSWORD) });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `Seeded "${size}" into ${embedded ? 'the embedded database' : 'DATABASE_URL'} in ${seconds}s: ` +
        `${data.categories.length} categories, ${data.products.length} products, ${data.users.length} users, ` +
        `${data.reviews.length} reviews, ${data.orders.length} orders. Every user's password is "${SEED_PASSWORD}".\n`,
    );
  } finally {
    await database.close();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Seeding failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
