/**
 * The live run's accounting: which subscriber received which price change, how long after the
 * change's mutation was answered, and which deliveries never came.
 *
 * Every update of a run writes a price no other update writes, so a subscriber's message names
 * its update by (productId, priceCents). Times are milliseconds on one clock shared by every
 * process of the run (`wallClockMs`): the driver stamps a mutation's answer, a subscriber pool
 * (another process) stamps each message as its handler runs.
 *
 * Pure: no I/O, so the rules are unit-tested (test/unit/live-ledger.test.ts).
 */
import { performance } from 'node:perf_hooks';

/**
 * Milliseconds since the epoch with sub-millisecond resolution, comparable across processes of
 * one machine: each process's `timeOrigin` is the wall clock when it started, `now()` a
 * monotonic offset from it. (Date.now() alone would round every latency to whole milliseconds.)
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One price change the publisher sent in a measured phase. */
export interface Publication {
  productId: number;
  priceCents: number;
  sentAt: number;
  /** When its whole answer (carrying the new price) arrived; undefined if it failed or never came. */
  ackedAt: number | undefined;
}

/** What subscribers received, as parallel columns (one row per message), as a pool ships them. */
export interface Receipts {
  subscriber: Int32Array;
  productId: Int32Array;
  priceCents: Int32Array;
  at: Float64Array;
}

/** Who was subscribed to what during the phase. */
export interface Audience {
  /** Subscribers numbered 0 to count - 1 across all pools. */
  count: number;
  /** The product subscriber `s` subscribed to. */
  productOf(subscriber: number): number;
}

export interface DeliverySummary {
  updatesSent: number;
  /** Updates answered with their new price: the ones every subscriber of the product must receive. */
  updatesAcked: number;
  /** Σ over acknowledged updates of the subscribers of its product. */
  expected: number;
  /** Distinct (subscriber, acknowledged update) pairs received. */
  delivered: number;
  /** expected − delivered: deliveries that never came. Must be 0. */
  lost: number;
  /** A subscriber received the same update more than once (extra copies). */
  duplicates: number;
  /** A subscriber received an update of a product it did not subscribe to. */
  misrouted: number;
  /**
   * Messages naming no acknowledged update of the phase: a warm-up update's late copy, or an
   * update whose answer never came (failed or still pending). Not latencies, not losses.
   */
  unmatched: number;
  /** Latency of each delivery (receipt − the update's `ackedAt`), ms, sorted ascending. */
  latencies: Float64Array;
  /**
   * The same from the update's `sentAt`, sorted: what a subscriber waited since the change was
   * asked for. Where a server answers its mutations late (it cannot keep up), latency from the
   * answer hides that wait; this does not.
   */
  sinceSent: Float64Array;
  /** Latest receipt among the deliveries, or undefined when none. */
  lastDeliveryAt: number | undefined;
}

/**
 * The value at or below which `p` (0..1) of the sorted values lie, by nearest rank (the value
 * itself, never an interpolation, so a p99 is a latency someone really saw). NaN when empty.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const updateKey = (productId: number, priceCents: number) => `${productId}:${priceCents}`;

/**
 * Matches every receipt to its update. A delivery's latency runs from the update's answer to
 * the message, so it is negative when the server pushed the message before it answered the
 * mutation (a server that publishes before it responds); such values are kept as measured.
 */
export function tallyDeliveries(publications: readonly Publication[], audience: Audience, batches: readonly Receipts[]): DeliverySummary {
  const acked = publications.filter((p) => p.ackedAt !== undefined);
  const index = new Map<string, number>();
  acked.forEach((p, i) => index.set(updateKey(p.productId, p.priceCents), i));

  const audienceOf = new Map<number, number>();
  for (let s = 0; s < audience.count; s += 1) {
    const product = audience.productOf(s);
    audienceOf.set(product, (audienceOf.get(product) ?? 0) + 1);
  }
  const expected = acked.reduce((n, p) => n + (audienceOf.get(p.productId) ?? 0), 0);

  // One byte per (update, subscriber): 200 updates × 10,000 subscribers is 2 MB.
  const seen = new Uint8Array(acked.length * audience.count);
  const latencies = new Float64Array(expected);
  const sinceSent = new Float64Array(expected);
  let delivered = 0;
  let duplicates = 0;
  let misrouted = 0;
  let unmatched = 0;
  let lastDeliveryAt: number | undefined;
  for (const batch of batches) {
    for (let r = 0; r < batch.at.length; r += 1) {
      const subscriber = batch.subscriber[r]!;
      const productId = batch.productId[r]!;
      const u = index.get(updateKey(productId, batch.priceCents[r]!));
      if (u === undefined) {
        unmatched += 1;
        continue;
      }
      if (subscriber < 0 || subscriber >= audience.count || audience.productOf(subscriber) !== productId) {
        misrouted += 1;
        continue;
      }
      const cell = u * audience.count + subscriber;
      if (seen[cell]) {
        duplicates += 1;
        continue;
      }
      seen[cell] = 1;
      const at = batch.at[r]!;
      latencies[delivered] = at - acked[u]!.ackedAt!;
      sinceSent[delivered] = at - acked[u]!.sentAt;
      delivered += 1;
      if (lastDeliveryAt === undefined || at > lastDeliveryAt) lastDeliveryAt = at;
    }
  }
  const sorted = latencies.subarray(0, delivered).sort();
  const sortedSinceSent = sinceSent.subarray(0, delivered).sort();
  return {
    updatesSent: publications.length,
    updatesAcked: acked.length,
    expected,
    delivered,
    lost: expected - delivered,
    duplicates,
    misrouted,
    unmatched,
    latencies: sorted,
    sinceSent: sortedSinceSent,
    lastDeliveryAt,
  };
}
