/**
 * The ways the server is run and measured. Every mode runs the same documents with the same
 * variable sequences in the same run, so its figures can be read as ratios to each other.
 *
 * A mode is a server (what the process serves with: no cache, our cache, or the peer) and how
 * the measured window starts (JIT warmed by timed load; cache empty; cache warmed by one whole
 * pass of the document's requests). Servers with a cache get a fresh key prefix (or the peer a
 * fresh Keyv namespace) for each document, in a process of their own, so nothing is warm that
 * the mode does not warm itself. The mixed run (95 % reads, 5 % price changes) is a mode of its
 * own per server.
 */
import path from 'node:path';
import { PEER_ID } from './peer';

export type ServerId = 'off' | 'ours' | 'peer';

export interface ServerKind {
  id: ServerId;
  /** Server entry, forked with `--import tsx`; it must speak the IPC protocol of protocol.ts. */
  entry: string;
  /** Whether it keeps anything between requests (then each document gets a fresh process and key space). */
  caches: boolean;
  /**
   * Environment for the server process, on top of the driver's (DATABASE_URL, NODE_ENV...):
   * `keySpace` is a fresh name no other process of any run has used.
   */
  env(settings: { redisUrl: string; keySpace: string; l1MaxEntries: number | undefined }): Record<string, string>;
}

const defaultEntry = path.join(__dirname, 'server.ts');

export const SERVERS: Record<ServerId, ServerKind> = {
  off: {
    id: 'off',
    entry: defaultEntry,
    caches: false,
    // Neither tier of the cache: every read goes to PostgreSQL through the per-request loaders.
    // (The driver never passes REDIS_URL on; a mode that wants Redis sets it here.)
    env: () => ({ CACHE_ENABLED: 'false' }),
  },
  ours: {
    id: 'ours',
    entry: defaultEntry,
    caches: true,
    // The product's cache as deployed: L1 in process, L2 on Redis, invalidation over pub/sub.
    env: ({ redisUrl, keySpace, l1MaxEntries }) => ({
      CACHE_ENABLED: 'true',
      REDIS_URL: redisUrl,
      CACHE_KEY_PREFIX: keySpace,
      ...(l1MaxEntries === undefined ? {} : { CACHE_L1_MAX_ENTRIES: String(l1MaxEntries) }),
    }),
  },
  peer: {
    id: 'peer',
    entry: defaultEntry,
    caches: true,
    // The same app with our cache off and Apollo's whole-response cache on Redis (peer.ts).
    env: ({ redisUrl, keySpace }) => ({
      CACHE_ENABLED: 'false',
      BENCH_PEER: PEER_ID,
      BENCH_PEER_REDIS_URL: redisUrl,
      BENCH_PEER_NAMESPACE: keySpace,
    }),
  },
};

/**
 * How a measured window starts:
 * - `jit`: the same requests for `--warmup` seconds first (nothing to fill: JIT and pools only);
 * - `cold`: nothing first; the window starts at the process's first request on an empty cache;
 * - `warm`: one whole pass of the document's distinct requests (`Workload.cycle`), then the
 *   same requests for `--warmup` seconds, then the window.
 * - `mixed`: the mixed run (reads warmed like `warm`, over its 200 products; then 5 % writes).
 */
export type Start = 'jit' | 'cold' | 'warm' | 'mixed';

export interface Mode {
  /** CLI name (`--modes off,warm`). */
  id: string;
  /** Row label in the report. */
  label: string;
  server: ServerId;
  start: Start;
}

export const MODES: readonly Mode[] = [
  { id: 'off', label: 'cache off', server: 'off', start: 'jit' },
  { id: 'cold', label: 'cold', server: 'ours', start: 'cold' },
  { id: 'warm', label: 'warm', server: 'ours', start: 'warm' },
  { id: 'peer-cold', label: 'peer cold', server: 'peer', start: 'cold' },
  { id: 'peer-warm', label: 'peer warm', server: 'peer', start: 'warm' },
  { id: 'mixed', label: 'our cache (warm)', server: 'ours', start: 'mixed' },
  { id: 'peer-mixed', label: 'peer (warm)', server: 'peer', start: 'mixed' },
];
