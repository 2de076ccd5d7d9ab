/**
 * Where the test suite finds its services. Defaults match the README: PostgreSQL and Redis on
 * 127.0.0.1 with their standard ports; override with TEST_DATABASE_URL and TEST_REDIS_URL.
 */
import path from 'node:path';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `shared/bench/queries`: the workload contract the API must serve unchanged. */
export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(__dirname, '../../../shared');
export const REPO_ROOT = path.resolve(__dirname, '../..');
