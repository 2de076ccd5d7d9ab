/**
 * Which live topics each committed change reaches, and what each subscription field listens
 * to. One topic per entity whose watchers care (`product:42`, `category:3`, `orders:<userId>`,
 * `session:<token hash>`): an instance holds one Redis subscription per topic it has watchers
 * for, and hears nothing about the rest of the catalog.
 */
import { BadUserInputError } from '../../errors';
import type { DomainEvent } from '../../events/domain-events';
import type { LivePublication } from '../../events/live-bus';
import type { OutboxRow } from '../../events/outbox';
import { parseId } from '../common/ids';
import type { Viewer } from '../context';
import { ROW_CHANGED, type RowChange } from '../invalidation';

export const productTopic = (id: number | string) => `product:${id}`;
export const categoryTopic = (id: number | string) => `category:${id}`;
export const ordersTopic = (userId: number | string) => `orders:${userId}`;
export const sessionTopic = (sessionId: string) => `session:${sessionId}`;

/** The kind of a topic (`product`), for metrics labels that must stay few. */
export function topicKind(topic: string): string {
  return topic.slice(0, topic.indexOf(':'));
}

export function topicsOf(event: DomainEvent): string[] {
  switch (event.type) {
    case 'ProductCreated':
    case 'ProductDeleted':
      return [categoryTopic(event.categoryId)];
    case 'ProductUpdated':
      return [productTopic(event.productId), ...event.categoryIds.map(categoryTopic)];
    case 'ReviewAdded':
      return [productTopic(event.productId)];
    case 'OrderStatusChanged':
      return [ordersTopic(event.userId)];
    case 'SessionEnded':
      return [sessionTopic(event.sessionId)];
    case 'OrderPlaced':
      // Its stock changes are events of their own; no subscription watches placements.
      return [];
  }
}

type Row = Record<string, unknown>;
const PRODUCT_FIELDS: Record<string, string> = { price_cents: 'priceCents', category_id: 'category', created_at: 'createdAt', updated_at: 'updatedAt' };

/**
 * Domain events for a row the database's triggers recorded (a write made outside the API), so
 * a price fixed in psql reaches `productUpdated` watchers like one changed through the API.
 */
function eventsOfRowChange(change: RowChange): DomainEvent[] {
  const { old, new: next } = change;
  if (change.table === 'product' && old && !next) {
    return [{ type: 'ProductDeleted', productId: Number(old.id), categoryId: Number(old.category_id) }];
  }
  if (change.table === 'product' && next) {
    if (!old) return [{ type: 'ProductCreated', productId: Number(next.id), categoryId: Number(next.category_id) }];
    const changed = Object.keys(next).filter((column) => JSON.stringify((old as Row)[column]) !== JSON.stringify(next[column]));
    if (changed.length === 0) return [];
    const moved = changed.includes('category_id');
    return [
      {
        type: 'ProductUpdated',
        productId: Number(next.id),
        fields: changed.map((column) => PRODUCT_FIELDS[column] ?? column),
        categoryIds: moved ? [Number(old.category_id), Number(next.category_id)] : [],
      },
    ];
  }
  if (change.table === 'customer_order' && old && next && old.status !== next.status) {
    return [{ type: 'OrderStatusChanged', orderId: Number(next.id), userId: Number(next.user_id), from: String(old.status), status: String(next.status) }];
  }
  return [];
}

const LIVE_TYPES = new Set<string>(['ProductCreated', 'ProductUpdated', 'ProductDeleted', 'ReviewAdded', 'OrderStatusChanged', 'SessionEnded']);

/** What publishing outbox rows to the live bus takes: each row's event(s) and their topics. */
export function livePublicationsOf(rows: readonly Pick<OutboxRow, 'id' | 'type' | 'payload'>[]): LivePublication[] {
  const publications: LivePublication[] = [];
  for (const row of rows) {
    const events = row.type === ROW_CHANGED ? eventsOfRowChange(row.payload as RowChange) : LIVE_TYPES.has(row.type) ? [row.payload as DomainEvent] : [];
    // A trigger row yields at most one event per topic, so the row id stays a fine dedupe key.
    for (const event of events) {
      const topics = topicsOf(event);
      if (topics.length > 0) publications.push({ rowId: row.id, event, topics });
    }
  }
  return publications;
}

/** What one subscription field listens to. */
export interface LiveField {
  /** Needs a signed-in viewer; its payloads are theirs alone. */
  private: boolean;
  /** The one topic it listens to; throws BAD_USER_INPUT for bad arguments. */
  topic(args: Record<string, unknown>, viewer: Viewer | null): string;
  /** Whether an event of that topic is one this field answers. */
  accepts(event: DomainEvent, args: Record<string, unknown>): boolean;
}

const idArg = (args: Record<string, unknown>, name: string) => parseId(args[name] as string, name);

export const LIVE_FIELDS: Record<string, LiveField> = {
  productUpdated: {
    private: false,
    topic: (args) => productTopic(idArg(args, 'id')),
    accepts: (event) => event.type === 'ProductUpdated',
  },
  stockChanged: {
    private: false,
    topic: (args) => productTopic(idArg(args, 'productId')),
    accepts: (event) => event.type === 'ProductUpdated' && event.fields.includes('stock'),
  },
  reviewAdded: {
    private: false,
    topic: (args) => productTopic(idArg(args, 'productId')),
    accepts: (event) => event.type === 'ReviewAdded',
  },
  categoryChanged: {
    private: false,
    topic: (args) => categoryTopic(idArg(args, 'id')),
    accepts: (event) =>
      event.type === 'ProductCreated' || event.type === 'ProductDeleted' || (event.type === 'ProductUpdated' && event.categoryIds.length > 0),
  },
  orderStatusChanged: {
    private: true,
    topic: (_args, viewer) => {
      if (!viewer) throw new BadUserInputError('orderStatusChanged needs a signed-in user.');
      return ordersTopic(viewer.userId);
    },
    accepts: (event) => event.type === 'OrderStatusChanged',
  },
};
