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
  /**
   * Executions of subscription documents (the live run): ours counts one per distinct
   * subscription per event (its registry's `resolutions`), the live peer one per message a
   * subscriber is sent (graphql-ws `onNext`). Undefined from servers without subscriptions.
   */
  subscriptionExecutions?: number;
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
  /**
   * The heap after a full GC when the process runs with --expose-gc (the live run), else as it
   * is (answered by `heap`); with `snapshot`, a V8 heap snapshot written there first.
   */
  | { type: 'heap'; snapshot?: string }
  | { type: 'stop' };

/** Server to parent. */
export type ServerMessage =
  | { type: 'ready'; url: string }
  | ({ type: 'stats' } & ServerStats)
  | { type: 'settled' }
  | { type: 'profiling' }
  | { type: 'profiled'; file: string }
  | ({ type: 'heap' } & HeapReport)
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

/** `process.memoryUsage()` of a server process, after a full GC if `collected`. */
export interface HeapReport {
  heapUsed: number;
  rss: number;
  /** Whether a full GC ran first (the process had `global.gc`, from `--expose-gc`). */
  collected: boolean;
}

// ---------------------------------------------------------------------------------------------
// The live run's subscriber pools (live-pool.ts): each holds its share of the subscribers.

/** Which client library a pool speaks graphql-transport-ws with. */
export type PoolClient = 'graphql-ws' | 'raw';

/** Driver to pool. */
export type PoolCommand =
  /**
   * Opens subscribers `first` .. `first + count - 1`, subscriber s to `productIds[s % productIds.length]`,
   * at most `concurrency` handshakes at a time; answered by `opened`.
   */
  | { type: 'open'; url: string; query: string; productIds: number[]; first: number; count: number; client: PoolClient; concurrency: number }
  /** Counts received since now start again from 0 (answered by `status`). */
  | { type: 'mark' }
  | { type: 'status' }
  /** Ships and forgets the receipts held so far (answered by `receipts`). */
  | { type: 'collect' }
  | { type: 'close' };

export interface PoolStatus {
  /** Messages received since the last `mark`. */
  received: number;
  /** Subscribers that received nothing since the last `mark`. */
  silent: number;
  /** Connections that closed or failed without being asked to, and `error` messages from the server. */
  failures: number;
  /** A few examples of what went wrong. */
  problems: string[];
  /** `process.cpuUsage()` and `performance.eventLoopUtilization()`, cumulative. */
  cpuMicros: number;
  eventLoopActiveMs: number;
  eventLoopIdleMs: number;
}

/** Pool to driver. */
export type PoolReply =
  | { type: 'opened'; seconds: number; failures: number; problems: string[] }
  | ({ type: 'status' } & PoolStatus)
  | { type: 'receipts'; subscriber: Int32Array; productId: Int32Array; priceCents: Int32Array; at: Float64Array }
  | { type: 'closed' };
