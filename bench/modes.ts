/**
 * The ways the server is run and measured. Every mode runs the same documents with the same
 * variable sequences in the same run, so its figures can be read as ratios to the first mode.
 *
 * Only "cache off" exists so far. The cache work adds "cold" (cache flushed before each
 * document's measured window, no warm-up) and "warm" (warm-up fills the cache) here, and a
 * competitor as a mode with its own `entry`.
 */
import path from 'node:path';

export interface Mode {
  /** CLI name (`--modes off,warm`). */
  id: string;
  /** Row label in the report. */
  label: string;
  /** Server entry, forked with `--import tsx`; it must speak the IPC protocol of protocol.ts. */
  entry: string;
  /** Environment for the server process, on top of the driver's (DATABASE_URL, NODE_ENV...). */
  env: Record<string, string>;
  /** Whether each document gets an unmeasured warm-up before its measured window. */
  warmup: boolean;
  /** Runs right before each document's measured window (e.g. flush the cache for "cold"). */
  beforeMeasure?: () => Promise<void>;
}

const defaultEntry = path.join(__dirname, 'server.ts');

export const MODES: readonly Mode[] = [
  {
    id: 'off',
    label: 'cache off',
    entry: defaultEntry,
    // Neither tier of the cache: every read goes to PostgreSQL through the per-request loaders.
    // (The driver never passes REDIS_URL on; a mode that wants Redis sets it here.)
    env: { CACHE_ENABLED: 'false' },
    warmup: true,
  },
];
