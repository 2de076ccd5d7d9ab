/**
 * Fails the run at once, with instructions, when PostgreSQL is not reachable: a wall of
 * connection errors from every test file helps nobody.
 */
import { Client } from 'pg';
import { TEST_DATABASE_URL } from './env';

export default async function globalSetup(): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(
      `The tests need PostgreSQL at ${TEST_DATABASE_URL} (set TEST_DATABASE_URL to use another).\n` +
        'Start it with:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n' +
        'or with Docker: docker compose up -d postgres\n' +
        `Cause: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
