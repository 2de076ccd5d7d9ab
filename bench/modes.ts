/**
 * The ways the servers are run and measured. Every mode runs the same documents with the same
 * variable sequences in the same run, so its figures can be read as ratios to each other.
 *
 * A mode is a server (what the process serves with: our app with no cache, our app with its
 * cache, or one of the lean peers) and how the measured window starts (JIT warmed by timed load;
 * cache empty; cache warmed by one whole pass of the document's requests). Servers with a cache
 * get a fresh key space for each document, in a process of their own, so nothing is warm that
 * the mode does not warm itself. The mixed run (95 % reads, 5 % price changes) is a mode of its
 * own per server.
 */
import path from 'node:path';

export type ServerId = 'off' | 'ours' | 'apollo' | 'yoga' | 'apollo-live' | 'apollo-channels-live';

export interface ServerKind {
  id: ServerId;
  /** Server entry, forked with `--import tsx`; it serves through child.ts (the IPC of protocol.ts). */
  entry: string;
  /** Whether it keeps anything between requests (then each document gets a fresh process and key space). */
  caches: boolean;
  /** A lean peer (peers/), compared with our cache; not our app. */
  peer: boolean;
  /**
   * Environment for the server process, on top of the driver's (DATABASE_URL, NODE_ENV...):
   * `keySpace` is a fresh name no other process of any run has used.
   */
  env(settings: { redisUrl: string; keySpace: string; l1MaxEntries: number | undefined }): Record<string, string>;
}

const ourServer = path.join(__dirname, 'server.ts');
const peerEnv = ({ redisUrl, keySpace }: { redisUrl: string; keySpace: string }) => ({
  BENCH_PEER_REDIS_URL: redisUrl,
  BENCH_PEER_KEY_SPACE: keySpace,
});

export const SERVERS: Record<ServerId, ServerKind> = {
  off: {
    id: 'off',
    entry: ourServer,
    caches: false,
    peer: false,
    // Neither tier of the cache: every read goes to PostgreSQL through the per-request loaders.
    // (The driver never passes REDIS_URL on; a mode that wants Redis sets it here.)
    env: () => ({ CACHE_ENABLED: 'false' }),
  },
  ours: {
    id: 'ours',
    entry: ourServer,
    caches: true,
    peer: false,
    // The product's cache as deployed: L1 in process, L2 on Redis, invalidation over pub/sub.
    env: ({ redisUrl, keySpace, l1MaxEntries }) => ({
      CACHE_ENABLED: 'true',
      REDIS_URL: redisUrl,
      CACHE_KEY_PREFIX: keySpace,
      ...(l1MaxEntries === undefined ? {} : { CACHE_L1_MAX_ENTRIES: String(l1MaxEntries) }),
    }),
  },
  // Apollo Server 5 standalone + @apollo/server-plugin-response-cache on Redis (no invalidation).
  apollo: { id: 'apollo', entry: path.join(__dirname, 'peers', 'apollo.ts'), caches: true, peer: true, env: peerEnv },
  // GraphQL Yoga 5 + @graphql-yoga/plugin-response-cache on Redis (invalidation by entity).
  yoga: { id: 'yoga', entry: path.join(__dirname, 'peers', 'yoga.ts'), caches: true, peer: true, env: peerEnv },
  // The live run's peers: Apollo Server 5 + graphql-ws + graphql-redis-subscriptions, one channel
  // with withFilter, or a channel per product (peers/apollo-live.ts).
  'apollo-live': {
    id: 'apollo-live',
    entry: path.join(__dirname, 'peers', 'apollo-live.ts'),
    caches: false,
    peer: true,
    env: (settings) => ({ ...peerEnv(settings), BENCH_PEER_CHANNELS: 'one' }),
  },
  'apollo-channels-live': {
    id: 'apollo-channels-live',
    entry: path.join(__dirname, 'peers', 'apollo-live.ts'),
    caches: false,
    peer: true,
    env: (settings) => ({ ...peerEnv(settings), BENCH_PEER_CHANNELS: 'per-product' }),
  },
};

/** The lean peers, in the order they are started and measured after ours. */
export const PEERS: readonly ServerId[] = ['apollo', 'yoga'];

/**
 * How a measured window starts:
 * - `jit`: the same requests for `--warmup` seconds first (nothing to fill: JIT and pools only);
 * - `cold`: nothing first; the window starts at the process's first request on an empty cache;
 * - `warm`: one whole pass of the document's distinct requests (`Workload.cycle`), then the
 *   same requests for `--warmup` seconds, then the window.
 * - `mixed`: the mixed run (reads warmed like `warm`, over its 200 products; then 5 % writes).
 * - `live`: the live run (live.ts): subscribers over WebSocket, price changes over HTTP.
 */
export type Start = 'jit' | 'cold' | 'warm' | 'mixed' | 'live';

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
  { id: 'apollo-cold', label: 'Apollo peer cold', server: 'apollo', start: 'cold' },
  { id: 'apollo-warm', label: 'Apollo peer warm', server: 'apollo', start: 'warm' },
  { id: 'yoga-cold', label: 'Yoga peer cold', server: 'yoga', start: 'cold' },
  { id: 'yoga-warm', label: 'Yoga peer warm', server: 'yoga', start: 'warm' },
  { id: 'mixed', label: 'our cache (warm)', server: 'ours', start: 'mixed' },
  { id: 'apollo-mixed', label: 'Apollo peer (warm)', server: 'apollo', start: 'mixed' },
  { id: 'yoga-mixed', label: 'Yoga peer (warm)', server: 'yoga', start: 'mixed' },
  { id: 'ours-live', label: 'ours', server: 'ours', start: 'live' },
  { id: 'apollo-live', label: 'Apollo peer, one channel + withFilter', server: 'apollo-live', start: 'live' },
  { id: 'apollo-channels-live', label: 'Apollo peer, channel per product', server: 'apollo-channels-live', start: 'live' },
];

/** `--modes live`: the whole live run, ours and its peers. */
export const LIVE_GROUP = 'live';

/** The mode of `server` that starts as `start`, e.g. our cache's `warm` or the Yoga peer's `mixed`. */
export function modeOf(server: ServerId, start: Start): Mode {
  const mode = MODES.find((m) => m.server === server && m.start === start);
  if (!mode) throw new Error(`no ${start} mode for ${server}`);
  return mode;
}
