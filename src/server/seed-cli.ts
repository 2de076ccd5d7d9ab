/**
 * `npm run seed -- --size demo|bench`: replaces the data of the configured database (or of
 * the embedded one when DATABASE_URL is unset) with the deterministic dataset.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { hashPassword } from '../session/password';
import { DATASET_SIZES, SEED_PASSWORD, type DatasetSize } from '../db/seed/dataset';
import { seed } from '../db/seed/seed';
import { runScript, withMigratedDatabase } from './cli';

runScript('Seeding', async () => {
  const { values } = parseArgs({ options: { size: { type: 'string', default: 'demo' } } });
  const size = values.size as DatasetSize;
  if (!(size in DATASET_SIZES)) throw new Error(`--size must be one of ${Object.keys(DATASET_SIZES).join(', ')}`);
  await withMigratedDatabase(loadConfig(), async (database, embedded) => {
    const started = Date.now();
    const data = await seed(database.orm, { size, passwordHash: await hashPassword(SEED_PASSWORD) });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `Seeded "${size}" into ${embedded ? 'the embedded database' : 'DATABASE_URL'} in ${seconds}s: ` +
        `${data.categories.length} categories, ${data.products.length} products, ${data.users.length} users, ` +
        `${data.reviews.length} reviews, ${data.orders.length} orders. Every user's password is "${SEED_PASSWORD}".\n`,
    );
  });
});
