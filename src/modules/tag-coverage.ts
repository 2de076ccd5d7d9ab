/**
 * Tags are a contract between two places that never meet: what cached entries are filed under
 * (the schema's `@cached` fields, the entity loaders, sessions) and what writes invalidate
 * (`invalidation.ts`). A template no write ever produces is an entry no write can reach: stale
 * until its TTL. A tag a write produces that nothing reads is a typo or a leftover. Both are
 * checked at start, from the shapes readers use and from what the invalidation map gives for one
 * example of every domain event and every table's inserts, updates and deletes.
 */
import type { GraphQLSchema } from 'graphql';
import { tagShapesRead } from '../cache/field-cache';
import type { PolicyMap } from '../cache/policy';
import type { DomainEvent, DomainEventType } from '../events/domain-events';
import { SESSION_TYPE, userSessionsTag } from '../session/session-cache';
import { entityTag } from '../cache/keys';
import { invalidationForRowChange, TRACKED_TABLES, tagsForEvent } from './invalidation';
import { ENTITY_TYPES, LOADER_TAG_SHAPES } from './loaders';

/** One example of each domain event: the compiler insists on every type. */
const EXAMPLE_EVENTS: { [T in DomainEventType]: Extract<DomainEvent, { type: T }> } = {
  ProductCreated: { type: 'ProductCreated', productId: 1, categoryId: 2 },
  ProductUpdated: {
    type: 'ProductUpdated',
    productId: 1,
    fields: ['name', 'description', 'priceCents', 'currency', 'stock', 'sku', 'category', 'createdAt', 'updatedAt'],
    categoryIds: [2, 3],
  },
  ProductDeleted: { type: 'ProductDeleted', productId: 1, categoryId: 2 },
  ReviewAdded: { type: 'ReviewAdded', reviewId: 1, productId: 1, authorId: 1 },
  OrderPlaced: { type: 'OrderPlaced', orderId: 1, userId: 1, productIds: [1] },
  OrderStatusChanged: { type: 'OrderStatusChanged', orderId: 1, userId: 1, from: 'PENDING', status: 'CANCELLED' },
  SessionEnded: { type: 'SessionEnded', sessionId: 'abc' },
};

/** A row of any tracked table, every column set (the tables' own tags read what they need). */
function exampleRow(n: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of ['id', 'product_id', 'author_id', 'user_id', 'order_id', 'category_id', 'price_cents', 'stock', 'quantity', 'rating']) row[column] = n;
  for (const column of ['name', 'description', 'sku', 'currency', 'email', 'role', 'body', 'status', 'slug']) row[column] = `${column}${n}`;
  for (const column of ['created_at', 'updated_at', 'expires_at']) row[column] = `2025-01-0${n}T00:00:00.000Z`;
  return row;
}

/** Every tag the invalidation map gives for the examples: concrete tags, numbers for ids. */
export function producedTagExamples(): string[] {
  const produced = new Set<string>();
  for (const event of Object.values(EXAMPLE_EVENTS)) for (const tag of tagsForEvent(event)) produced.add(tag);
  for (const table of TRACKED_TABLES) {
    for (const [old, next] of [[null, exampleRow(1)], [exampleRow(1), exampleRow(2)], [exampleRow(1), null]] as const) {
      const op = old && next ? 'UPDATE' : old ? 'DELETE' : 'INSERT';
      for (const tag of invalidationForRowChange({ table, op, old, new: next }).tags) produced.add(tag);
    }
  }
  return [...produced];
}

/** What entries are filed under beyond the schema's cached fields: entities, loaders, sessions. */
export function extraTagShapesRead(): string[] {
  return [...ENTITY_TYPES.map((type) => entityTag(type, '*')), ...LOADER_TAG_SHAPES, entityTag(SESSION_TYPE, '*'), userSessionsTag('*')];
}

/** `Product:*:reviews` as a pattern: `*` stands for one segment. */
function matcher(shape: string): RegExp {
  return new RegExp(`^${shape.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^:]+')}$`);
}

export interface TagCoverage {
  /** Templates of `@cached(tags:)` that no write produces. */
  unreachable: string[];
  /** Tags writes produce that no entry is filed under. */
  unread: string[];
}

export function tagCoverage(read: { automatic: readonly string[]; templates: readonly string[] }, produced: readonly string[]): TagCoverage {
  const readers = [...read.automatic, ...read.templates].map(matcher);
  return {
    unreachable: read.templates.filter((template) => !produced.some((tag) => matcher(template).test(tag))),
    unread: produced.filter((tag) => !readers.some((reader) => reader.test(tag))),
  };
}

/** The shapes entries of `schema` are filed under: its cached fields', and the extras. */
export function tagShapesReadBy(schema: GraphQLSchema, policies: PolicyMap): { automatic: string[]; templates: string[] } {
  const read = tagShapesRead(schema, policies);
  return { automatic: [...read.automatic, ...extraTagShapesRead()], templates: read.templates };
}

/**
 * Throws, naming the tags, unless every template of `schema` is reachable by a write and every
 * tag a write produces is read. Run at start: a mistake here is a stale cache, found at once.
 */
export function assertTagCoverage(schema: GraphQLSchema, policies: PolicyMap, produced: readonly string[] = producedTagExamples()): void {
  const { unreachable, unread } = tagCoverage(tagShapesReadBy(schema, policies), produced);
  const problems = [
    ...unreachable.map((tag) => `@cached tag "${tag}" is produced by no write: its entries would stay stale until their ttl`),
    ...unread.map((tag) => `writes invalidate "${tag}", which no cached entry is filed under`),
  ];
  if (problems.length > 0) {
    throw new Error(`Cache tags out of step (fix schema/ @cached tags or src/modules/invalidation.ts):\n- ${problems.join('\n- ')}`);
  }
}
