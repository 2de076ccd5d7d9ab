/**
 * The live benchmark's accounting (bench/live-ledger.ts): matching subscribers' messages to the
 * price changes that caused them, latency from each change's answer, and every missed delivery.
 */
import { percentile, tallyDeliveries, type Publication, type Receipts } from '../../bench/live-ledger';

/** Receipts from rows of [subscriber, productId, priceCents, at]. */
function receipts(rows: [number, number, number, number][]): Receipts {
  return {
    subscriber: Int32Array.from(rows.map((r) => r[0])),
    productId: Int32Array.from(rows.map((r) => r[1])),
    priceCents: Int32Array.from(rows.map((r) => r[2])),
    at: Float64Array.from(rows.map((r) => r[3])),
  };
}

// Four subscribers over two products: 0 and 2 watch product 7, 1 and 3 watch product 8.
const audience = { count: 4, productOf: (s: number) => (s % 2 === 0 ? 7 : 8) };

const update = (productId: number, priceCents: number, sentAt: number, ackedAt: number | undefined): Publication => ({
  productId,
  priceCents,
  sentAt,
  ackedAt,
});

describe('percentile', () => {
  it('takes the nearest rank, a value that was measured', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
    expect(percentile([3, 9], 0.5)).toBe(3);
    expect(percentile([3, 9], 0.99)).toBe(9);
    expect(percentile([4], 0)).toBe(4);
  });

  it('is NaN with nothing measured', () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('tallyDeliveries', () => {
  it('measures each delivery from its update’s answer and finds none lost when all arrive', () => {
    const publications = [update(7, 1001, 0, 10), update(8, 1002, 5, 20)];
    const summary = tallyDeliveries(publications, audience, [
      receipts([
        [0, 7, 1001, 12],
        [2, 7, 1001, 15],
      ]),
      receipts([
        [1, 8, 1002, 21],
        [3, 8, 1002, 60],
      ]),
    ]);
    expect(summary).toMatchObject({ updatesSent: 2, updatesAcked: 2, expected: 4, delivered: 4, lost: 0, duplicates: 0, misrouted: 0, unmatched: 0 });
    expect([...summary.latencies]).toEqual([1, 2, 5, 40]);
    expect([...summary.sinceSent]).toEqual([12, 15, 16, 55]);
    expect(summary.lastDeliveryAt).toBe(60);
  });

  it('counts each subscriber that missed an update', () => {
    const publications = [update(7, 1001, 0, 10), update(7, 1003, 30, 40), update(8, 1002, 5, 20)];
    const summary = tallyDeliveries(publications, audience, [
      receipts([
        [0, 7, 1001, 12],
        [2, 7, 1001, 15],
        [0, 7, 1003, 41],
        // subscriber 2 never gets 1003; nobody on product 8 gets 1002
      ]),
    ]);
    expect(summary.expected).toBe(6);
    expect(summary.delivered).toBe(3);
    expect(summary.lost).toBe(3);
  });

  it('does not let a duplicate stand in for a missed delivery', () => {
    const summary = tallyDeliveries([update(7, 1001, 0, 10)], audience, [
      receipts([
        [0, 7, 1001, 12],
        [0, 7, 1001, 13],
      ]),
    ]);
    expect(summary).toMatchObject({ expected: 2, delivered: 1, lost: 1, duplicates: 1 });
  });

  it('keeps messages of other products, unanswered updates and earlier phases out of the latencies', () => {
    const publications = [update(7, 1001, 0, 10), update(8, 1002, 5, undefined)];
    const summary = tallyDeliveries(publications, audience, [
      receipts([
        [0, 7, 1001, 11],
        [2, 7, 1001, 11],
        [1, 7, 1001, 11], // subscriber 1 watches product 8
        [1, 8, 1002, 30], // its update's answer never came
        [3, 8, 999, 2], // a warm-up price
      ]),
    ]);
    expect(summary).toMatchObject({ updatesSent: 2, updatesAcked: 1, expected: 2, delivered: 2, lost: 0, misrouted: 1, unmatched: 2 });
    expect(summary.latencies.length).toBe(2);
  });

  it('keeps a message that beat the mutation’s answer as a negative latency', () => {
    const summary = tallyDeliveries([update(7, 1001, 0, 10)], audience, [
      receipts([
        [0, 7, 1001, 8],
        [2, 7, 1001, 14],
      ]),
    ]);
    expect([...summary.latencies]).toEqual([-2, 4]);
  });
});
