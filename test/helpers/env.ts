/**
 * Where the test suite finds its services. Defaults match the README: PostgreSQL and Redis on
 * 127.0.0.1 with their standard ports; override with TEST_DATABASE_URL and TEST_REDIS_URL.
 */
import path from 'node:path';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** The project's copy of the workload contract, so a clone tests on its own. */
export const WORKLOAD_COPY_DIR = path.join(REPO_ROOT, 'bench', 'queries');
/** Where the contract itself lives when the repository sits beside `shared/`, as in development. */
export const WORKLOAD_CONTRACT_DIR = path.resolve(REPO_ROOT, '../shared/bench/queries');
/**
 * The workload documents the tests send, which the API must serve unchanged: the copy, unless
 * `SHARED_DIR` names another `shared/` to read instead (an empty value counts as unset).
 */
export const QUERIES_DIR = process.env.SHARED_DIR
  ? path.join(process.env.SHARED_DIR, 'bench', 'queries')
  : WORKLOAD_COPY_DIR;
