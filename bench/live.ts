/**
 * The live run (`--modes live`): GraphQL subscriptions under load, ours against the Apollo peer.
 *
 * Per server and subscriber count (1,000, then 10,000): a fresh server process (`--expose-gc`),
 * its heap after a full GC; subscriber pools (live-pool.ts, processes of their own) open the
 * subscribers, each `product-updated.graphql` on one of 10 products (subscriber s on product
 * s mod 10); then, per rate (5, then 10 updates per second), the driver publishes
 * `update-price.graphql` over HTTP round-robin over the 10 products, open loop (on schedule,
 * never waiting for answers): a warm-up until every subscriber has heard at least once, then
 * the measured phase, then a drain until every delivery due has come (or none came for a while).
 * The pools then ship their receipts and live-ledger.ts matches them to the updates.
 *
 * Heap per subscriber: (heap after GC with the subscribers connected and their subscriptions
 * live, after the first warm-up) − (heap after GC before any subscriber), / subscribers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { percentile, tallyDeliveries, wallClockMs, type Publication, type Receipts } from './live-ledger';
import { type Mode } from './modes';
import type { HeapReport, PoolClient, PoolCommand, PoolReply, PoolStatus, ServerStats } from './protocol';

/** A server process as the live run needs it (run.ts starts it). */
export interface LiveServer {
  url: string;
  stats(): Promise<ServerStats>;
  heap(snapshot?: string): Promise<HeapReport>;
  stop(): Promise<void>;
}

export interface LiveDependencies {
  /** A fresh server process of the mode's kind, with --expose-gc and a fresh key space. */
  start(mode: Mode, label: string): Promise<LiveServer>;
  /** Signs in as the seeded ADMIN user1; the bearer token. */
  login(url: string): Promise<string>;
  log(message: string): void;
  /** Every process the run forks is registered, so an interrupted run kills it. */
  track(child: ChildProcess): void;
}

export interface LiveOptions {
  /** Subscribers per server, one measured block each (default 1,000 then 10,000). */
  subscriberCounts: number[];
  /** Updates per second, one measured phase each, in order, with the same subscribers. */
  rates: number[];
  /** Measured seconds of publishing per phase. */
  publishSeconds: number;
  /** The products subscribed to and updated (the first 10 of the dataset). */
  productIds: number[];
  subscriptionQuery: string;
  updateQuery: string;
  client: PoolClient;
  /** Subscribers a pool process holds at most; more subscribers, more pools. */
  subscribersPerPool: number;
  /** WebSocket handshakes in flight at once, per pool. */
  connectConcurrency: number;
  /**
   * Where to write V8 heap snapshots of each server block, before the subscribers and after
   * (`--live-heap-snapshots`; compare with heap-diff.ts); undefined: none. They pause the
   * server for seconds, so a run with them measures latency worse.
   */
  heapSnapshots: string | undefined;
  /** Price of the run's first update; every later update writes the next integer (unique in the run). */
  firstPrice: number;
}

export interface LiveMeasurement {
  modeId: string;
  mode: string;
  server: Mode['server'];
  subscribers: number;
  /** Updates per second asked for. */
  rate: number;
  /** Something that went wrong or the reader must know; the row's figures may be missing. */
  note: string | undefined;
  /** When the server could not be measured at all (e.g. it has no such subscription). */
  unavailable: boolean;
  updatesSent: number;
  updatesAcked: number;
  updateErrors: number;
  /** Publishing time of the measured phase, s. */
  seconds: number;
  /** Mutation round trip, send to answer, ms. */
  updateP50Ms: number;
  updateP99Ms: number;
  /** From the update's answer to the subscriber's message, ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** p99 from the update's send instead (see DeliverySummary.sinceSent), ms. */
  p99FromSendMs: number;
  /** Deliveries of the phase's updates / publishing seconds; and what that would be with every delivery. */
  messagesPerSecond: number;
  expectedMessagesPerSecond: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  misrouted: number;
  /** Server's executions of the subscription document per answered update (see ServerStats.subscriptionExecutions). */
  executionsPerUpdate: number | undefined;
  /** Connections lost or `error` messages during the block. */
  failures: number;
  /** Seconds the last delivery came after the last publish was answered (the drain). */
  drainSeconds: number;
  heapPerSubscriberBytes: number | undefined;
  rssPerSubscriberBytes: number | undefined;
  heapCollected: boolean;
  connectSeconds: number;
  pools: number;
  client: PoolClient;
  serverCpuCores: number;
  serverEventLoopBusy: number;
  /** All pools together (cores), and the busiest pool's event loop. */
  poolCpuCores: number;
  poolEventLoopBusy: number;
  /** Warm-up: seconds until every subscriber had heard, or what was still silent at its end. */
  warmupSeconds: number;
}

const POOL_ENTRY = path.join(__dirname, 'live-pool.ts');
const WARMUP_MIN_SECONDS = 2;
const WARMUP_CAP_SECONDS = 20;
/** The drain ends when nothing arrived for this long, or all deliveries due have come. */
const DRAIN_QUIET_MS = 3_000;
const DRAIN_CAP_MS = 30_000;
const UPDATE_TIMEOUT_MS = 30_000;
const POOL_TIMEOUT_MS = 20_000;
const OPEN_TIMEOUT_MS = 180_000;

class LiveUnavailable extends Error {}

/**
 * The longest one server block may take (for the driver's watchdog): a server start, every pool
 * opening, then per rate the capped warm-up, the phase, the capped drain and the slowest answers.
 */
export function liveBlockBudgetSeconds(options: Pick<LiveOptions, 'rates' | 'publishSeconds'>, serverStartSeconds: number): number {
  const phase = WARMUP_CAP_SECONDS + options.publishSeconds + DRAIN_CAP_MS / 1000 + UPDATE_TIMEOUT_MS / 1000 + 10;
  return serverStartSeconds + OPEN_TIMEOUT_MS / 1000 + options.rates.length * phase;
}

// ---------------------------------------------------------------------------------------------
// Subscriber pools

interface Pool {
  open(command: Extract<PoolCommand, { type: 'open' }>): Promise<Extract<PoolReply, { type: 'opened' }>>;
  mark(): Promise<PoolStatus>;
  status(): Promise<PoolStatus>;
  collect(): Promise<Receipts>;
  close(): Promise<void>;
}

function startPool(index: number, track: (child: ChildProcess) => void): Pool {
  const child = fork(POOL_ENTRY, [], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
  const waiting = new Map<PoolReply['type'], (reply: PoolReply) => void>();
  let exited: Error | undefined;
  child.on('message', (reply: PoolReply) => {
    const resolve = waiting.get(reply.type);
    waiting.delete(reply.type);
    resolve?.(reply);
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`subscriber pool ${index} exited (code ${code}, signal ${signal})`);
    for (const resolve of waiting.values()) resolve({ type: 'closed' });
    waiting.clear();
  });
  const ask = <T extends PoolReply['type']>(command: PoolCommand, type: T, timeoutMs: number) =>
    new Promise<Extract<PoolReply, { type: T }>>((resolve, reject) => {
      if (exited) return reject(exited);
      const timer = setTimeout(() => reject(new Error(`subscriber pool ${index} sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      waiting.set(type, (reply) => {
        clearTimeout(timer);
        if (reply.type !== type) reject(exited ?? new Error(`subscriber pool ${index} answered ${reply.type}`));
        else resolve(reply as Extract<PoolReply, { type: T }>);
      });
      child.send(command);
    });
  const stripped = ({ type: _type, ...status }: Extract<PoolReply, { type: 'status' }>): PoolStatus => status;
  return {
    open: (command) => ask(command, 'opened', OPEN_TIMEOUT_MS),
    mark: async () => stripped(await ask({ type: 'mark' }, 'status', POOL_TIMEOUT_MS)),
    status: async () => stripped(await ask({ type: 'status' }, 'status', POOL_TIMEOUT_MS)),
    collect: async () => {
      const { type: _type, ...receipts } = await ask({ type: 'collect' }, 'receipts', POOL_TIMEOUT_MS);
      return receipts;
    },
    close: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** The pools' statuses as one: counts added, the busiest event loop. */
function poolTotals(statuses: PoolStatus[]) {
  return {
    received: statuses.reduce((n, s) => n + s.received, 0),
    silent: statuses.reduce((n, s) => n + s.silent, 0),
    failures: statuses.reduce((n, s) => n + s.failures, 0),
    problems: statuses.flatMap((s) => s.problems).slice(0, 3),
  };
}

// ---------------------------------------------------------------------------------------------
// The publisher: price changes over HTTP, on schedule

class Publisher {
  private nextPrice: number;
  private sequence = 0;
  private readonly inFlight = new Set<Promise<void>>();
  errors = 0;
  readonly problems: string[] = [];

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly options: LiveOptions,
  ) {
    this.nextPrice = options.firstPrice;
  }

  /** Sends one update now; its publication is filled in when (if) its answer comes. */
  private send(into: Publication[]): void {
    const productId = this.options.productIds[this.sequence % this.options.productIds.length]!;
    this.sequence += 1;
    const priceCents = this.nextPrice;
    this.nextPrice += 1;
    const publication: Publication = { productId, priceCents, sentAt: wallClockMs(), ackedAt: undefined };
    into.push(publication);
    const request = (async () => {
      try {
        const response = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
          body: JSON.stringify({ query: this.options.updateQuery, variables: { id: String(productId), priceCents } }),
          signal: AbortSignal.timeout(UPDATE_TIMEOUT_MS),
        });
        const text = await response.text();
        const arrivedAt = wallClockMs();
        const updated = (JSON.parse(text) as { data?: { updateProduct?: { id?: string; priceCents?: number } } }).data?.updateProduct;
        if (response.status !== 200 || updated?.id !== String(productId) || updated.priceCents !== priceCents) {
          this.fail(`update of ${productId} to ${priceCents}: HTTP ${response.status} ${text.slice(0, 200)}`);
          return;
        }
        publication.ackedAt = arrivedAt;
      } catch (error) {
        this.fail(`update of ${productId} to ${priceCents}: ${String(error)}`);
      }
    })();
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  private fail(problem: string): void {
    this.errors += 1;
    if (this.problems.length < 3) this.problems.push(problem);
  }

  /**
   * `rate` updates per second until `until()` says stop (checked before each), at most
   * `capSeconds`; on schedule, whatever the answers do (a server that cannot keep up falls behind
   * in its answers and deliveries, not in what it is asked). Returns the seconds its schedule
   * spanned: updates sent / rate.
   */
  async publish(rate: number, into: Publication[], capSeconds: number, until: () => boolean | Promise<boolean> = () => false): Promise<number> {
    const started = wallClockMs();
    const interval = 1000 / rate;
    let k = 0;
    for (; k * interval < capSeconds * 1000 && !(await until()); k += 1) {
      const wait = started + k * interval - wallClockMs();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.send(into);
    }
    return k / rate;
  }

  /** Waits for every update still in flight (each gives up after UPDATE_TIMEOUT_MS). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}

// ---------------------------------------------------------------------------------------------
// One server, one subscriber count

/** The open-files limit of this process (soft), from /proc; undefined where there is none. */
function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

function snapshotFile(options: LiveOptions, mode: Mode, subscribers: number, when: 'before' | 'after'): string | undefined {
  return options.heapSnapshots && path.join(options.heapSnapshots, `live-${mode.id}-${subscribers}-${when}.heapsnapshot`);
}

interface Block {
  mode: Mode;
  subscribers: number;
  server: LiveServer;
  pools: Pool[];
  publisher: Publisher;
  connectSeconds: number;
  baseline: HeapReport;
}

const cpuCores = (micros: number, seconds: number) => micros / 1e6 / seconds;
const busy = (active: number, idle: number) => (active + idle > 0 ? active / (active + idle) : 0);

async function openBlock(mode: Mode, subscribers: number, options: LiveOptions, deps: LiveDependencies): Promise<Block> {
  const server = await deps.start(mode, `live, ${mode.label}, ${subscribers} subscribers`);
  const pools: Pool[] = [];
  try {
    const token = await deps.login(server.url);
    const publisher = new Publisher(server.url, token, options);
    // The update path's JIT and pools, before the baseline: 20 updates, one at a time.
    const warm: Publication[] = [];
    await publisher.publish(20, warm, 1);
    await publisher.settled();
    if (publisher.errors > 0) throw new LiveUnavailable(`price changes failed: ${publisher.problems.join('; ')}`);
    const baseline = await server.heap(snapshotFile(options, mode, subscribers, 'before'));

    const poolCount = Math.ceil(subscribers / options.subscribersPerPool);
    const share = Math.ceil(subscribers / poolCount);
    const wsUrl = server.url.replace(/^http/, 'ws');
    deps.log(`live (${mode.label}): opening ${subscribers} subscribers (${options.client}) in ${poolCount} pool${poolCount > 1 ? 's' : ''}`);
    for (let i = 0; i < poolCount; i += 1) pools.push(startPool(i, deps.track));
    const opened = await Promise.all(
      pools.map((pool, i) =>
        pool.open({
          type: 'open',
          url: wsUrl,
          query: options.subscriptionQuery,
          productIds: options.productIds,
          first: i * share,
          count: Math.min(share, subscribers - i * share),
          client: options.client,
          concurrency: options.connectConcurrency,
        }),
      ),
    );
    const failures = opened.reduce((n, o) => n + o.failures, 0);
    const connectSeconds = Math.max(...opened.map((o) => o.seconds));
    deps.log(`live (${mode.label}): ${subscribers - failures} of ${subscribers} subscribers open in ${connectSeconds.toFixed(1)} s`);
    if (failures > 0) {
      const problems = opened.flatMap((o) => o.problems).slice(0, 3).join('; ');
      if (failures === subscribers) throw new LiveUnavailable(`no subscriber could subscribe: ${problems}`);
      deps.log(`live (${mode.label}): ${failures} subscribers failed to open: ${problems}`);
    }
    return { mode, subscribers, server, pools, publisher, connectSeconds, baseline };
  } catch (error) {
    await Promise.all(pools.map((pool) => pool.close()));
    await server.stop();
    throw error;
  }
}

async function closeBlock(block: Block): Promise<void> {
  await block.publisher.settled();
  await Promise.all(block.pools.map((pool) => pool.close()));
  await block.server.stop();
}

/**
 * Publishes at `rate` until every subscriber has heard since the warm-up began (at least
 * WARMUP_MIN_SECONDS, at most WARMUP_CAP_SECONDS), so subscriptions are live and the server's
 * paths warm; then lets the stragglers arrive and drops the receipts. Returns the seconds it
 * took and how many subscribers were still silent.
 */
async function warmUp(block: Block, rate: number, deps: LiveDependencies): Promise<{ seconds: number; silent: number }> {
  await Promise.all(block.pools.map((pool) => pool.mark()));
  const begun = wallClockMs();
  const silentNow = async () => poolTotals(await Promise.all(block.pools.map((pool) => pool.status()))).silent;
  const seconds = await block.publisher.publish(
    rate,
    [],
    WARMUP_CAP_SECONDS,
    async () => wallClockMs() - begun >= WARMUP_MIN_SECONDS * 1000 && (await silentNow()) === 0,
  );
  await block.publisher.settled();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const silent = await silentNow();
  await Promise.all(block.pools.map((pool) => pool.collect()));
  deps.log(`live (${block.mode.label}, ${block.subscribers}, ${rate}/s): warm-up ${seconds.toFixed(1)} s${silent > 0 ? `, ${silent} subscribers heard nothing` : ''}`);
  return { seconds, silent };
}

async function measurePhase(
  block: Block,
  rate: number,
  options: LiveOptions,
  deps: LiveDependencies,
  heap: { perSubscriber?: number; rssPerSubscriber?: number; collected: boolean },
): Promise<LiveMeasurement> {
  const { mode, subscribers, server, pools, publisher } = block;
  const warm = await warmUp(block, rate, deps);
  if (heap.perSubscriber === undefined) {
    const after = await server.heap(snapshotFile(options, mode, subscribers, 'after'));
    heap.perSubscriber = (after.heapUsed - block.baseline.heapUsed) / subscribers;
    heap.rssPerSubscriber = (after.rss - block.baseline.rss) / subscribers;
    heap.collected = after.collected && block.baseline.collected;
    deps.log(`live (${mode.label}, ${subscribers}): heap ${(heap.perSubscriber / 1024).toFixed(1)} KB per subscriber${heap.collected ? ' (after GC)' : ' (no GC exposed)'}`);
  }

  const errorsBefore = publisher.errors;
  const serverBefore = await server.stats();
  const poolsBefore = await Promise.all(pools.map((pool) => pool.mark()));
  const started = wallClockMs();
  const publications: Publication[] = [];
  deps.log(`live (${mode.label}, ${subscribers}, ${rate}/s): ${options.publishSeconds} s measured`);
  const seconds = await publisher.publish(rate, publications, options.publishSeconds);
  const publishedAt = wallClockMs();

  // The drain: until every delivery due has come, or none came for DRAIN_QUIET_MS.
  const perProduct = subscribers / options.productIds.length;
  const due = () => publications.filter((p) => p.ackedAt !== undefined).length * perProduct;
  let last = -1;
  let lastChange = wallClockMs();
  for (;;) {
    const received = poolTotals(await Promise.all(pools.map((pool) => pool.status()))).received;
    const now = wallClockMs();
    if (received !== last) {
      last = received;
      lastChange = now;
    }
    const answered = publications.every((p) => p.ackedAt !== undefined);
    if ((answered && received >= due()) || now - lastChange > DRAIN_QUIET_MS || now - publishedAt > DRAIN_CAP_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await publisher.settled();
  const serverAfter = await server.stats();
  const poolsAfter = await Promise.all(pools.map((pool) => pool.status()));
  const batches = await Promise.all(pools.map((pool) => pool.collect()));

  const summary = tallyDeliveries(publications, { count: subscribers, productOf: (s) => options.productIds[s % options.productIds.length]! }, batches);
  const lastAck = Math.max(...publications.map((p) => p.ackedAt ?? 0));
  const phaseSeconds = (wallClockMs() - started) / 1000;
  const roundTrips = Float64Array.from(publications.filter((p) => p.ackedAt !== undefined).map((p) => p.ackedAt! - p.sentAt)).sort();
  const failures = poolTotals(poolsAfter).failures - poolTotals(poolsBefore).failures;
  const notes: string[] = [];
  if (warm.silent > 0) notes.push(`${warm.silent} subscribers heard nothing in the ${warm.seconds.toFixed(0)} s warm-up`);
  if (publisher.errors > errorsBefore) notes.push(`${publisher.errors - errorsBefore} updates failed (e.g. ${publisher.problems[0]})`);
  if (summary.duplicates > 0) notes.push(`${summary.duplicates} duplicate deliveries (a subscriber got the same update again)`);
  if (summary.misrouted > 0) notes.push(`${summary.misrouted} messages of a product the subscriber did not subscribe to`);
  if (failures > 0) notes.push(`${failures} subscriber failures (e.g. ${poolTotals(poolsAfter).problems.join('; ')})`);
  const row: LiveMeasurement = {
    modeId: mode.id,
    mode: mode.label,
    server: mode.server,
    subscribers,
    rate,
    note: notes.length > 0 ? notes.join('; ') : undefined,
    unavailable: false,
    updatesSent: summary.updatesSent,
    updatesAcked: summary.updatesAcked,
    updateErrors: publisher.errors - errorsBefore,
    seconds,
    updateP50Ms: percentile(roundTrips, 0.5),
    updateP99Ms: percentile(roundTrips, 0.99),
    p50Ms: percentile(summary.latencies, 0.5),
    p99Ms: percentile(summary.latencies, 0.99),
    maxMs: percentile(summary.latencies, 1),
    p99FromSendMs: percentile(summary.sinceSent, 0.99),
    messagesPerSecond: summary.delivered / seconds,
    expectedMessagesPerSecond: (rate * subscribers) / options.productIds.length,
    expected: summary.expected,
    delivered: summary.delivered,
    lost: summary.lost,
    duplicates: summary.duplicates,
    misrouted: summary.misrouted,
    failures,
    executionsPerUpdate:
      serverAfter.subscriptionExecutions === undefined || serverBefore.subscriptionExecutions === undefined || summary.updatesAcked === 0
        ? undefined
        : (serverAfter.subscriptionExecutions - serverBefore.subscriptionExecutions) / summary.updatesAcked,
    drainSeconds: summary.lastDeliveryAt === undefined ? 0 : Math.max(0, (summary.lastDeliveryAt - lastAck) / 1000),
    heapPerSubscriberBytes: heap.perSubscriber,
    rssPerSubscriberBytes: heap.rssPerSubscriber,
    heapCollected: heap.collected,
    connectSeconds: block.connectSeconds,
    pools: pools.length,
    client: options.client,
    serverCpuCores: cpuCores(
      serverAfter.cpuUserMicros + serverAfter.cpuSystemMicros - serverBefore.cpuUserMicros - serverBefore.cpuSystemMicros,
      phaseSeconds,
    ),
    serverEventLoopBusy: busy(serverAfter.eventLoopActiveMs - serverBefore.eventLoopActiveMs, serverAfter.eventLoopIdleMs - serverBefore.eventLoopIdleMs),
    poolCpuCores: cpuCores(poolsAfter.reduce((n, s, i) => n + s.cpuMicros - poolsBefore[i]!.cpuMicros, 0), phaseSeconds),
    poolEventLoopBusy: Math.max(
      ...poolsAfter.map((s, i) => busy(s.eventLoopActiveMs - poolsBefore[i]!.eventLoopActiveMs, s.eventLoopIdleMs - poolsBefore[i]!.eventLoopIdleMs)),
    ),
    warmupSeconds: warm.seconds,
  };
  deps.log(
    `live (${mode.label}, ${subscribers}, ${rate}/s): p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms, ` +
      `${row.messagesPerSecond.toFixed(0)} msgs/s of ${row.expectedMessagesPerSecond.toFixed(0)}, lost ${row.lost}, ` +
      `server CPU ${row.serverCpuCores.toFixed(2)}, pools CPU ${row.poolCpuCores.toFixed(2)} (busiest loop ${Math.round(row.poolEventLoopBusy * 100)} %)`,
  );
  return row;
}

function unavailableRow(mode: Mode, subscribers: number, rate: number, options: LiveOptions, note: string): LiveMeasurement {
  return {
    modeId: mode.id,
    mode: mode.label,
    server: mode.server,
    subscribers,
    rate,
    note,
    unavailable: true,
    updatesSent: 0,
    updatesAcked: 0,
    updateErrors: 0,
    seconds: 0,
    updateP50Ms: Number.NaN,
    updateP99Ms: Number.NaN,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    maxMs: Number.NaN,
    p99FromSendMs: Number.NaN,
    messagesPerSecond: 0,
    expectedMessagesPerSecond: (rate * subscribers) / options.productIds.length,
    expected: 0,
    delivered: 0,
    lost: 0,
    duplicates: 0,
    misrouted: 0,
    failures: 0,
    executionsPerUpdate: undefined,
    drainSeconds: 0,
    heapPerSubscriberBytes: undefined,
    rssPerSubscriberBytes: undefined,
    heapCollected: false,
    connectSeconds: 0,
    pools: 0,
    client: options.client,
    serverCpuCores: 0,
    serverEventLoopBusy: 0,
    poolCpuCores: 0,
    poolEventLoopBusy: 0,
    warmupSeconds: 0,
  };
}

/** The live run over `modes`, one after the other; a server that cannot serve it gets rows saying why. */
export async function runLive(modes: readonly Mode[], options: LiveOptions, deps: LiveDependencies): Promise<LiveMeasurement[]> {
  const limit = openFilesLimit();
  const largest = Math.max(...options.subscriberCounts);
  // Forked processes inherit this limit; the server holds every subscriber's socket (plus its
  // pools, files and connections), a pool its share.
  if (limit !== undefined && limit < largest + 1000) {
    throw new Error(
      `the open-files limit is ${limit}; a pool holds up to ${Math.min(largest, options.subscribersPerPool)} sockets and the server ${largest}. ` +
        'Raise it (`ulimit -n 20000`) or lower --live-subscribers / --live-pool-size',
    );
  }
  const rows: LiveMeasurement[] = [];
  for (const mode of modes) {
    for (const subscribers of options.subscriberCounts) {
      let block: Block;
      try {
        block = await openBlock(mode, subscribers, options, deps);
      } catch (error) {
        if (!(error instanceof LiveUnavailable)) throw error;
        deps.log(`live (${mode.label}): not measured: ${error.message}`);
        rows.push(...options.rates.map((rate) => unavailableRow(mode, subscribers, rate, options, error.message)));
        break;
      }
      try {
        const heap: { perSubscriber?: number; rssPerSubscriber?: number; collected: boolean } = { collected: false };
        for (const rate of options.rates) rows.push(await measurePhase(block, rate, options, deps, heap));
      } finally {
        await closeBlock(block);
      }
    }
  }
  return rows;
}
