/**
 * The IPC messages between the benchmark driver (run.ts) and the benchmarked server process
 * (server.ts). Types only: both sides import them, neither imports the other.
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
  | { type: 'stop' };

/** Server to parent. */
export type ServerMessage =
  | { type: 'ready'; url: string }
  | ({ type: 'stats' } & ServerStats)
  | { type: 'stopped' }
  | { type: 'failed'; message: string };
