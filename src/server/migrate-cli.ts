/** `npm run migrate`: applies pending migrations to the configured (or embedded) database. */
import { loadConfig } from '../config';
import { runScript, withMigratedDatabase } from './cli';

runScript('Migration', async () => {
  await withMigratedDatabase(loadConfig(), async () => {
    process.stdout.write('Migrations applied.\n');
  });
});
