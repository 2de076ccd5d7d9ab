/**
 * A subscriber pool of the live run: a process of its own (forked by live.ts, never sharing the
 * server's or the publisher's event loop) that holds many graphql-transport-ws connections, one
 * subscription each, and stamps every message as its handler runs (`wallClockMs`, the clock the
 * driver stamps mutation answers with). It keeps the receipts in memory and ships them when the
 * driver asks (`collect`), so a measured phase costs the pool no IPC per message.
 *
 * Two clients (the driver's `--live-client`):
 * - `graphql-ws`: the library's `createClient` over `ws`, one client per subscriber, as an app
 *   would use it (retries and keep-alive pings off: a lost connection must show as a failure);
 * - `raw`: `ws` speaking the protocol directly (connection_init, subscribe, next, ping/pong), to
 *   show what the library's own per-connection work costs the pool.
 *
 * Stops with the driver: on `close`, and when its IPC channel goes away.
 */
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { wallClockMs } from './live-ledger';
import type { PoolCommand, PoolReply, PoolStatus } from './protocol';

const PROTOCOL = 'graphql-transport-ws';
/** A handshake (upgrade, connection_init, connection_ack) that takes longer fails the subscriber. */
const HANDSHAKE_TIMEOUT_MS = 30_000;

function send(reply: PoolReply): void {
  if (process.connected) process.send!(reply);
}

/** Growable receipt columns. */
class ReceiptLog {
  private size = 0;
  private subscriber = new Int32Array(1 << 16);
  private productId = new Int32Array(1 << 16);
  private priceCents = new Int32Array(1 << 16);
  private at = new Float64Array(1 << 16);

  add(subscriber: number, productId: number, priceCents: number, at: number): void {
    if (this.size === this.at.length) this.grow();
    this.subscriber[this.size] = subscriber;
    this.productId[this.size] = productId;
    this.priceCents[this.size] = priceCents;
    this.at[this.size] = at;
    this.size += 1;
  }

  private grow(): void {
    const twice = <T extends Int32Array | Float64Array>(from: T, make: (n: number) => T): T => {
      const to = make(from.length * 2);
      to.set(from);
      return to;
    };
    this.subscriber = twice(this.subscriber, (n) => new Int32Array(n));
    this.productId = twice(this.productId, (n) => new Int32Array(n));
    this.priceCents = twice(this.priceCents, (n) => new Int32Array(n));
    this.at = twice(this.at, (n) => new Float64Array(n));
  }

  /** Copies of what is held, then forgets it. */
  take(): Extract<PoolReply, { type: 'receipts' }> {
    const n = this.size;
    this.size = 0;
    return {
      type: 'receipts',
      subscriber: this.subscriber.slice(0, n),
      productId: this.productId.slice(0, n),
      priceCents: this.priceCents.slice(0, n),
      at: this.at.slice(0, n),
    };
  }
}

interface Subscriber {
  close(): void;
}

const receipts = new ReceiptLog();
let countsSinceMark = new Uint32Array(0);
let firstSubscriber = 0;
let received = 0;
let failures = 0;
const problems: string[] = [];
let closing = false;
const subscribers: Subscriber[] = [];

function fail(problem: string): void {
  if (closing) return;
  failures += 1;
  if (problems.length < 5 && !problems.includes(problem)) problems.push(problem);
}

/** A `next` message's payload: records it, or a failure when it is not the product's price. */
function record(subscriber: number, payload: unknown): void {
  const at = wallClockMs();
  const result = payload as { data?: { productUpdated?: { id?: unknown; priceCents?: unknown } | null }; errors?: unknown };
  const product = result?.data?.productUpdated;
  if (result?.errors !== undefined || !product) {
    fail(`subscriber ${subscriber}: ${JSON.stringify(result).slice(0, 300)}`);
    return;
  }
  receipts.add(subscriber, Number(product.id), Number(product.priceCents), at);
  countsSinceMark[subscriber - firstSubscriber]! += 1;
  received += 1;
}

/** graphql-ws's own client, one per subscriber. Resolves once the subscribe message is sent. */
function openWithLibrary(url: string, query: string, subscriber: number, productId: number): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    let client: Client | undefined = undefined;
    const timer = setTimeout(() => reject(new Error(`subscriber ${subscriber}: no connection_ack within ${HANDSHAKE_TIMEOUT_MS} ms`)), HANDSHAKE_TIMEOUT_MS);
    let connected = false;
    client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      keepAlive: 0,
      on: {
        connected: () => {
          connected = true;
          clearTimeout(timer);
          client!.subscribe(
            { query, variables: { id: String(productId) } },
            {
              next: (result) => record(subscriber, result),
              error: (error) => fail(`subscriber ${subscriber}: ${error instanceof Error ? error.message : JSON.stringify(error).slice(0, 300)}`),
              complete: () => fail(`subscriber ${subscriber}: the server completed the subscription`),
            },
          );
          resolve({ close: () => void client!.dispose() });
        },
        closed: (event) => {
          const { code, reason } = event as { code?: number; reason?: string };
          if (!connected) {
            clearTimeout(timer);
            reject(new Error(`subscriber ${subscriber}: closed before connection_ack (${code ?? '?'} ${reason ?? ''})`));
          } else fail(`subscriber ${subscriber}: connection closed (${code ?? '?'} ${reason ?? ''})`);
        },
        error: (error) => {
          if (connected) fail(`subscriber ${subscriber}: ${String((error as Error)?.message ?? error)}`);
        },
      },
    });
  });
}

/** `ws` speaking graphql-transport-ws itself. Resolves once the subscribe message is sent. */
function openRaw(url: string, query: string, subscriber: number, productId: number): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, PROTOCOL, { perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    let acked = false;
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`subscriber ${subscriber}: no connection_ack within ${HANDSHAKE_TIMEOUT_MS} ms`));
    }, HANDSHAKE_TIMEOUT_MS);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (data) => {
      let message: { type?: string; id?: string; payload?: unknown };
      try {
        message = JSON.parse(data.toString());
      } catch {
        fail(`subscriber ${subscriber}: unparsable message ${data.toString().slice(0, 200)}`);
        return;
      }
      if (message.type === 'next') record(subscriber, message.payload);
      else if (message.type === 'connection_ack' && !acked) {
        acked = true;
        clearTimeout(timer);
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables: { id: String(productId) } } }));
        resolve({ close: () => socket.close(1000) });
      } else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
      else if (message.type === 'error') fail(`subscriber ${subscriber}: ${JSON.stringify(message.payload).slice(0, 300)}`);
      else if (message.type === 'complete') fail(`subscriber ${subscriber}: the server completed the subscription`);
    });
    socket.on('error', (error) => {
      if (!acked) {
        clearTimeout(timer);
        reject(new Error(`subscriber ${subscriber}: ${error.message}`));
      } else fail(`subscriber ${subscriber}: ${error.message}`);
    });
    socket.on('close', (code, reason) => {
      if (!acked) {
        clearTimeout(timer);
        reject(new Error(`subscriber ${subscriber}: closed before connection_ack (${code} ${reason.toString()})`));
      } else fail(`subscriber ${subscriber}: connection closed (${code} ${reason.toString()})`);
    });
  });
}

async function open(command: Extract<PoolCommand, { type: 'open' }>): Promise<void> {
  const started = wallClockMs();
  firstSubscriber = command.first;
  countsSinceMark = new Uint32Array(command.count);
  const opener: (url: string, query: string, s: number, productId: number) => Promise<Subscriber> =
    command.client === 'raw' ? openRaw : openWithLibrary;
  const openFailures: string[] = [];
  let next = 0;
  // At most `concurrency` handshakes in flight: a burst of thousands overflows the listen backlog.
  const worker = async () => {
    while (next < command.count) {
      const s = command.first + next;
      next += 1;
      try {
        subscribers.push(await opener(command.url, command.query, s, command.productIds[s % command.productIds.length]!));
      } catch (error) {
        if (openFailures.length < 5) openFailures.push(error instanceof Error ? error.message : String(error));
        failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.count) }, worker));
  send({ type: 'opened', seconds: (wallClockMs() - started) / 1000, failures, problems: [...openFailures, ...problems].slice(0, 5) });
}

function status(): PoolStatus {
  let silent = 0;
  for (const n of countsSinceMark) if (n === 0) silent += 1;
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  return {
    received,
    silent,
    failures,
    problems: [...problems],
    cpuMicros: cpu.user + cpu.system,
    eventLoopActiveMs: elu.active,
    eventLoopIdleMs: elu.idle,
  };
}

function close(): void {
  closing = true;
  for (const subscriber of subscribers) subscriber.close();
  // Close frames are written at once; give them a moment to leave, then go.
  setTimeout(() => {
    send({ type: 'closed' });
    process.exit(0);
  }, 500).unref();
}

if (!process.send) {
  process.stderr.write('a subscriber pool runs as a child of bench/run.ts (fork with IPC)\n');
  process.exit(2);
}
process.on('message', (command: PoolCommand) => {
  if (command.type === 'open') void open(command);
  else if (command.type === 'mark') {
    countsSinceMark.fill(0);
    received = 0;
    send({ type: 'status', ...status() });
  } else if (command.type === 'status') send({ type: 'status', ...status() });
  else if (command.type === 'collect') send(receipts.take());
  else if (command.type === 'close') close();
});
process.on('disconnect', () => {
  closing = true;
  process.exit(0);
});
