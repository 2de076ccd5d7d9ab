/**
 * What a committed write announces. One event feeds both cache invalidation and live
 * subscriptions; it is published only after its transaction has committed.
 */
export type DomainEvent =
  | { type: 'ProductCreated'; productId: number; categoryId: number }
  | {
      type: 'ProductUpdated';
      productId: number;
      /** The product's fields that changed, by their GraphQL names. */
      fields: string[];
      /** Categories the product left or joined, when it moved. */
      categoryIds: number[];
    }
  /** A product deleted (the API deletes none; a delete made in psql is recorded as this). */
  | { type: 'ProductDeleted'; productId: number; categoryId: number }
  | { type: 'ReviewAdded'; reviewId: number; productId: number; authorId: number }
  | { type: 'OrderPlaced'; orderId: number; userId: number; productIds: number[] }
  /** An order moved from `from` to `status` (paid, shipped, cancelled); `userId` owns it. */
  | { type: 'OrderStatusChanged'; orderId: number; userId: number; from: string; status: string }
  /**
   * A signed-in session ended (sign-out, sign-out everywhere, a password change); `sessionId` is
   * the token's hash, never the token. `userId` (absent from rows written before it existed)
   * names whose private cache entries to drop.
   */
  | { type: 'SessionEnded'; sessionId: string; userId?: number };

export type DomainEventType = DomainEvent['type'];
export type DomainEventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
