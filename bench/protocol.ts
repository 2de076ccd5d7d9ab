/**
 * The IPC messages between the benchmark driver (run.ts) and the benchmarked server process
 * (server.ts, peers/*.ts, through child.ts). Types only: both sides import them, neither imports
 * the other.
 */

/** What the server process reports about itself; counters are cumulative since it started. */
export interface ServerStats {
  /** SQL statements the driver executed (`database.sql.total`; BEGIN and COMMIT included). */
  sqlStatements: number;
  /**
   * Redis commands the cache sent (0 with the cache off). `null` from a server that cannot count
   * them (a competitor): the table prints "n/a" rather than a 0 it does not know.
   */
  redisRoundTrips: number | null;
  /**
   * The server's cache lookups that found something fresh, found nothing, and found a stale entry
   * (served within its stale-while-revalidate window). Our cache counts lookups (per entity or
   * field key); the peers count whole responses (Yoga's: lookups that found one, and responses
   * stored). 0 with no cache.
   */
  cacheHits: number;
  cacheMisses: number;
  cacheStale: number;
  /** Of `cacheHits`, those our cache answered from L1 (the process's own memory); 0 for the peers. */
  cacheL1Hits: number;
  /** Failed Redis calls (our cache: timeouts included, each answered without Redis; the peers: failed store calls or commands). */
  cacheErrors: number;
  /** Times our cache emptied and stopped trusting its L1 (its invalidation subscriber dropped). */
  l1Resets: number;
  /** HTTP requests to /graphql the server has finished handling (answered or aborted). */
  requests: number;
  /** HTTP requests to /graphql still being handled. */
  inFlight: number;
  /** Resident set size now, bytes. */
  rss: number;
  /** Highest RSS sampled (every 100 ms) since the start or the last `resetPeak`, bytes. */
  peakRss: number;
  /** The kernel's lifetime high-water mark (`resourceUsage().maxRSS`), bytes. */
  maxRss: number;
  /** `process.cpuUsage()`, microseconds: main thread, GC and libuv threads together. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** `performance.eventLoopUtilization()`, cumulative milliseconds. */
  eventLoopIdleMs: number;
  eventLoopActiveMs: number;
}

/** Parent to server. */
export type DriverMessage =
  | { type: 'stats'; /** Start a new peak-RSS window after answering. */ resetPeak?: boolean }
  /** Wait until the cache has written back everything it started to (answered by `settled`). */
  | { type: 'settle' }
  /** Start a V8 CPU profile of the server (`--profile`: measured windows only). */
  | { type: 'profile-start' }
  /** Stop it and write it to `file` (answered by `profiled`). */
  | { type: 'profile-stop'; file: string }
  | { type: 'stop' };

/** Server to parent. */
export type ServerMessage =
  | { type: 'ready'; url: string }
  | ({ type: 'stats' } & ServerStats)
  | { type: 'settled' }
  | { type: 'profiling' }
  | { type: 'profiled'; file: string }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };
