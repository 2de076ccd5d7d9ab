/**
 * Which cache tags each change makes stale. Entries carry entity tags (`Product:42`) derived
 * from their content, `<Type>:<id>:<field>` tags for relations, and `<Type>:list` for root
 * lists (see `cache/field-cache.ts`); this is the storefront's side of that contract, for the
 * API's own domain events, for rows the database's triggers record (writes made outside the
 * API), and for an operator's `invalidateCache`.
 */
import { entityTag, listTag, relationTag } from '../cache/keys';
import type { DomainEvent } from '../events/domain-events';
import type { InvalidationPlan, OutboxRow } from '../events/outbox';
import { SESSION_TYPE, userSessionsTag } from '../session/session-cache';

/**
 * The list tags a change of each product field reaches: the lists ordered or filtered by it
 * (see the `tags` of `Query.products` and `Category.products`). Category moves are handled by
 * the categories' own tags; stock and `updatedAt` order or filter nothing. The API never
 * changes `createdAt`; a fix made in psql may.
 */
const LISTS_SHAPED_BY: Record<string, readonly string[]> = {
  priceCents: ['Product:list:order:PRICE_ASC', 'Product:list:order:PRICE_DESC', 'Product:list:price'],
  name: ['Product:list:order:NAME_ASC', 'Product:list:text'],
  description: ['Product:list:text'],
  createdAt: ['Product:list:order:NEWEST'],
};

export function tagsForEvent(event: DomainEvent): string[] {
  switch (event.type) {
    case 'ProductCreated':
      return [listTag('Product'), relationTag('Category', event.categoryId, 'products')];
    case 'ProductUpdated': {
      const tags = [entityTag('Product', event.productId), ...event.fields.flatMap((field) => LISTS_SHAPED_BY[field] ?? [])];
      for (const categoryId of event.categoryIds) tags.push(relationTag('Category', categoryId, 'products'));
      return [...new Set(tags)];
    }
    case 'ProductDeleted':
      // As the product table's own delete (below): its entry, the lists and relations it was in.
      return [
        listTag('Product'),
        entityTag('Product', event.productId),
        relationTag('Category', event.categoryId, 'products'),
        relationTag('Product', event.productId, 'reviews'),
      ];
    case 'ReviewAdded':
      // The author's first review makes them visible to everyone through `node` (see loaders).
      return [relationTag('Product', event.productId, 'reviews'), relationTag('User', event.authorId, 'reviews')];
    case 'OrderPlaced':
      return [relationTag('User', event.userId, 'orders')];
    case 'OrderStatusChanged':
      // The order's own entry, and the owner's order pages that show its status.
      return [entityTag('Order', event.orderId), relationTag('User', event.userId, 'orders')];
    case 'SessionEnded':
      // The session's cached entry, and its user's PRIVATE entries (their email and orders):
      // nothing cached for a signed-out user outlives the sign-out.
      return [
        entityTag(SESSION_TYPE, event.sessionId),
        ...(event.userId === undefined ? [] : [relationTag('User', event.userId, 'email'), relationTag('User', event.userId, 'orders')]),
      ];
  }
}

/** A row the outbox triggers recorded: its table, the operation, and the row before and after. */
export interface RowChange {
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';
  /** Null for an INSERT, and for the new half of an UPDATE that changed the primary key. */
  old: Row | null;
  new: Row | null;
}

type Row = Record<string, unknown>;

/** Product columns -> the GraphQL fields `tagsForEvent` knows (`category` is a move). */
const PRODUCT_FIELDS: Record<string, string> = {
  name: 'name',
  description: 'description',
  price_cents: 'priceCents',
  currency: 'currency',
  stock: 'stock',
  sku: 'sku',
  category_id: 'category',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
};

function changedColumns(old: Row, next: Row): string[] {
  const columns = new Set([...Object.keys(old), ...Object.keys(next)]);
  return [...columns].filter((column) => JSON.stringify(old[column]) !== JSON.stringify(next[column]));
}

/** The values of `column` in the rows present, each once (an UPDATE may move a row between parents). */
function valuesOf(column: string, ...rows: (Row | null)[]): string[] {
  return [...new Set(rows.filter((row): row is Row => row !== null && row[column] != null).map((row) => String(row[column])))];
}

/**
 * Tags per table, for a row before (`old`) and after (`next`) the change; either may be null
 * (an INSERT, a DELETE). Each names what the cache may hold built from that row: the entity,
 * the lists it is in or ordered by, the relations it belongs to.
 */
const TAGS_OF_ROW: Record<string, (old: Row | null, next: Row | null) => string[]> = {
  product(old, next) {
    if (old && next) {
      const fields = changedColumns(old, next).map((column) => PRODUCT_FIELDS[column] ?? column);
      const categoryIds = fields.includes('category') ? valuesOf('category_id', old, next).map(Number) : [];
      return tagsForEvent({ type: 'ProductUpdated', productId: Number(next.id), fields, categoryIds });
    }
    const row = (old ?? next)!;
    const id = String(row.id);
    const tags = [listTag('Product'), entityTag('Product', id), relationTag('Category', String(row.category_id), 'products')];
    return old ? [...tags, relationTag('Product', id, 'reviews')] : tags;
  },
  category(old, next) {
    const ids = valuesOf('id', old, next);
    // `categories` lists them by name: a new, renamed or removed category reorders it.
    const listed = !old || !next || old.name !== next.name;
    return [
      ...ids.map((id) => entityTag('Category', id)),
      ...(old && !next ? ids.map((id) => relationTag('Category', id, 'products')) : []),
      ...(listed ? [listTag('Category')] : []),
    ];
  },
  review: (old, next) => [
    ...valuesOf('id', old, next).map((id) => entityTag('Review', id)),
    // Counts, means and the newest-first pages of the product(s) it belongs to.
    ...valuesOf('product_id', old, next).map((id) => relationTag('Product', id, 'reviews')),
    ...valuesOf('author_id', old, next).map((id) => relationTag('User', id, 'reviews')),
  ],
  customer_order: (old, next) => [
    ...valuesOf('id', old, next).map((id) => entityTag('Order', id)),
    ...valuesOf('user_id', old, next).map((id) => relationTag('User', id, 'orders')),
    ...(old && !next ? [relationTag('Order', String(old.id), 'items')] : []),
  ],
  order_item: (old, next) => valuesOf('order_id', old, next).map((id) => relationTag('Order', id, 'items')),
  app_user(old, next) {
    const ids = valuesOf('id', old, next);
    const changed = old && next ? changedColumns(old, next) : undefined;
    const tags = ids.map((id) => entityTag('User', id));
    if (!changed || changed.includes('email')) tags.push(...ids.map((id) => relationTag('User', id, 'email')));
    // A cached session holds its user's role.
    if (!changed || changed.includes('role')) tags.push(...ids.map(userSessionsTag));
    if (old && !next) tags.push(...ids.flatMap((id) => [relationTag('User', id, 'reviews'), relationTag('User', id, 'orders')]));
    return tags;
  },
  // A session deleted or cut short by hand must stop being accepted; a new one is not cached yet.
  session: (old) => (old ? [entityTag(SESSION_TYPE, String(old.id))] : []),
};

/** The tables whose row changes the triggers record and this module turns into tags. */
export const TRACKED_TABLES = Object.keys(TAGS_OF_ROW);

/**
 * What a row change recorded by the triggers makes stale. A TRUNCATE, or a table this module
 * does not know (a trigger added before the code that reads it), empties the whole cache.
 */
export function invalidationForRowChange(change: RowChange): InvalidationPlan {
  const tagsOf = TAGS_OF_ROW[change.table];
  if (!tagsOf || change.op === 'TRUNCATE') return { tags: [], purge: true };
  return { tags: [...new Set(tagsOf(change.old, change.new))], purge: false };
}

/** The row type written by the outbox triggers. */
export const ROW_CHANGED = 'RowChanged';
/** The row type written by `invalidateCache`. */
export const CACHE_INVALIDATION_REQUESTED = 'CacheInvalidationRequested';

const DOMAIN_EVENT_TYPES = new Set<string>(['ProductCreated', 'ProductUpdated', 'ProductDeleted', 'ReviewAdded', 'OrderPlaced', 'OrderStatusChanged', 'SessionEnded']);

/**
 * What publishing an outbox row takes. Rows carry their tags when their writer knew them;
 * otherwise they are derived from the payload. A row of a type this code does not know (written
 * by a newer version during a rolling deploy) is honoured by its tags, or, without any, by
 * emptying the cache: never by publishing nothing.
 */
export function invalidationForOutboxRow(row: Pick<OutboxRow, 'type' | 'payload' | 'tags'>): InvalidationPlan {
  if (row.type === ROW_CHANGED) return invalidationForRowChange(row.payload as RowChange);
  if (row.type === CACHE_INVALIDATION_REQUESTED) {
    return { tags: [...(row.tags ?? [])], purge: (row.payload as { purge?: boolean }).purge === true };
  }
  if (row.tags) return { tags: [...row.tags], purge: false };
  if (DOMAIN_EVENT_TYPES.has(row.type)) return { tags: tagsForEvent(row.payload as DomainEvent), purge: false };
  return { tags: [], purge: true };
}

/**
 * Everything cached about one entity itself: its entry and the entries of its cached fields
 * (`cachedFields`, from the schema's `@cached` fields of its type), plus, for a user, the
 * sessions that hold their role. Lists it appears in are not included: invalidate their tags,
 * or the type.
 */
export function tagsForEntity(type: string, id: string | number, cachedFields: readonly string[]): string[] {
  const tags = [entityTag(type, id), ...cachedFields.map((field) => relationTag(type, id, field))];
  if (type === 'User') tags.push(userSessionsTag(id));
  return tags;
}
