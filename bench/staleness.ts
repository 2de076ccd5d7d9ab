/**
 * Stale reads in the mixed run, judged from the client's side only, by real-time order.
 *
 * Every update writes a price no other request of the run writes, so a price read names the write
 * it came from (or the seeded price). The driver records, in its own clock, when each request
 * was handed to the connection (before its first byte left: `sentAt`) and when its whole
 * response had arrived (after the server finished: `ackedAt`).
 *
 * A read of product p sent at S that returned the price written by W (or the seeded price) is
 * STALE when some update V of p was acknowledged before S, and V was sent after W was
 * acknowledged (for the seeded price: any such V). Then V's commit certainly followed W's, and
 * the client had V's answer before it asked: the read returned a value it already knew to be
 * replaced. Reads that race a write (W and V overlapping, or V not yet acknowledged at S) are
 * never counted, whatever they return, so the count is a lower bound of what a stricter reading
 * would call stale; 0 here means no read returned a value older than one already acknowledged.
 */

interface Update {
  productId: number;
  priceCents: number;
  sentAt: number;
  /** Undefined until its response arrived (and forever if it failed or was abandoned). */
  ackedAt: number | undefined;
}

export type ReadVerdict = 'fresh' | 'stale' | 'unknown-price';

export class StaleReadTracker {
  private readonly seeded: ReadonlyMap<number, number>;
  private readonly updates = new Map<number, Update[]>();
  private readonly byPrice = new Map<number, Update>();
  reads = 0;
  stale = 0;
  /** Reads sent after at least one update of their product was acknowledged: the ones that could be stale. */
  judged = 0;
  /** Reads whose price is neither the seeded one nor one the run wrote (a wrong answer, not a stale one). */
  unknown = 0;
  updatesSent = 0;
  updatesAcked = 0;

  constructor(seededPrices: ReadonlyMap<number, number>) {
    this.seeded = seededPrices;
  }

  /** An update is being sent; returns the handle to acknowledge it with. */
  updateSent(productId: number, priceCents: number, sentAt: number): Update {
    const update: Update = { productId, priceCents, sentAt, ackedAt: undefined };
    let list = this.updates.get(productId);
    if (!list) this.updates.set(productId, (list = []));
    list.push(update);
    this.byPrice.set(priceCents, update);
    this.updatesSent += 1;
    return update;
  }

  /** The update's response arrived and confirmed the new price. */
  updateAcked(update: Update, ackedAt: number): void {
    update.ackedAt = ackedAt;
    this.updatesAcked += 1;
  }

  /** Judges a read of `productId`, sent at `sentAt`, that returned `priceCents`. */
  read(productId: number, sentAt: number, priceCents: number): ReadVerdict {
    this.reads += 1;
    // The latest send time among updates of this product acknowledged before the read was sent.
    let latestAckedSend = -Infinity;
    for (const v of this.updates.get(productId) ?? []) {
      if (v.ackedAt !== undefined && v.ackedAt < sentAt && v.sentAt > latestAckedSend) latestAckedSend = v.sentAt;
    }
    if (latestAckedSend > -Infinity) this.judged += 1;

    let writtenAckedAt: number | undefined;
    const writer = this.byPrice.get(priceCents);
    if (writer && writer.productId === productId) {
      writtenAckedAt = writer.ackedAt;
    } else if (this.seeded.get(productId) === priceCents) {
      writtenAckedAt = -Infinity; // the seeded price: replaced by any acknowledged update
    } else {
      this.unknown += 1;
      return 'unknown-price';
    }
    if (writtenAckedAt !== undefined && latestAckedSend > writtenAckedAt) {
      this.stale += 1;
      return 'stale';
    }
    return 'fresh';
  }
}
