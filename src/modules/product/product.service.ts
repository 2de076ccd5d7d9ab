/**
 * Back-office writes to the catalog. Each records its domain events in the outbox in the same
 * transaction as its data (the one-statement writes in the very statement) and, after it
 * commits, publishes them.
 */
import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, NotFoundError } from '../../errors';
import type { DomainEvent } from '../../events/domain-events';
import { outboxInsert, type EventOutbox } from '../../events/outbox';
import { Category } from '../category/category.entity';
import { parseId } from '../common/ids';
import { requireCurrency, requireInt, requireNoNul, requireText } from '../common/validate';
import { Product } from './product.entity';

export interface CreateProductFields {
  sku: string;
  name: string;
  description?: string | null;
  priceCents: number;
  currency?: string | null;
  stock?: number | null;
  categoryId: string;
}

export type UpdateProductFields = Partial<{
  name: string | null;
  description: string | null;
  priceCents: number | null;
  currency: string | null;
  stock: number | null;
  categoryId: string | null;
}>;

async function requireCategory(em: SqlEntityManager, id: string, field: string): Promise<Category> {
  const category = await em.findOne(Category, { id: parseId(id, field) });
  if (!category) throw new BadUserInputError(`"${field}": no category has the id "${id}".`, { field });
  return category;
}

export async function createProduct(em: SqlEntityManager, outbox: EventOutbox, input: CreateProductFields): Promise<Product> {
  const sku = requireText(input.sku, 'input.sku', 1, 64);
  const name = requireText(input.name, 'input.name', 1, 200);
  const priceCents = requireInt(input.priceCents, 'input.priceCents', 0);
  const stock = requireInt(input.stock ?? 0, 'input.stock', 0);
  const currency = requireCurrency(input.currency ?? 'USD', 'input.currency');
  const description = requireNoNul(input.description ?? '', 'input.description');
  const duplicateSku = () =>
    new BadUserInputError(`"input.sku": a product with the SKU "${sku}" exists already.`, { field: 'input.sku' });
  const { product, written } = await em.transactional(async (tx) => {
    const category = await requireCategory(tx, input.categoryId, 'input.categoryId');
    if (await tx.count(Product, { sku })) throw duplicateSku();
    const created = tx.create(Product, {
      sku,
      name,
      description,
      priceCents,
      currency,
      stock,
      category,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await tx.flush();
    return { product: created, written: await outbox.record(tx, [{ type: 'ProductCreated', productId: created.id, categoryId: category.id }]) };
  }).catch((error: unknown) => {
    // Two concurrent creations with one SKU: the unique index decides, the loser hears why.
    throw error instanceof UniqueConstraintViolationException ? duplicateSku() : error;
  });
  await outbox.publish(written);
  return product;
}

/** Product fields `updateProduct` may change: GraphQL name -> column. */
const UPDATABLE_COLUMNS = {
  name: 'name',
  description: 'description',
  priceCents: 'price_cents',
  currency: 'currency',
  stock: 'stock',
  category: 'category_id',
} as const;

type Updatable = keyof typeof UPDATABLE_COLUMNS;

/**
 * Changes a product in ONE statement: a CTE locks and reads the old row, the UPDATE writes the
 * new values (and `updated_at` only if something really changed) and returns both with the
 * fields that changed, and, if any did, the event naming them goes into the outbox in the same
 * statement. Price changes are the hot write of a storefront's back office; this costs one
 * round trip where lock-read-write-record-commit would cost five. The event's row has no tags:
 * they depend on what changed, known here only after the statement (the relay derives them from
 * the event, should it have to publish it).
 */
export async function updateProduct(
  em: SqlEntityManager,
  outbox: EventOutbox,
  id: string,
  input: UpdateProductFields,
): Promise<Product> {
  const productId = parseId(id);
  const changes: Partial<Record<Updatable, string | number>> = {};
  if (input.name != null) changes.name = requireText(input.name, 'input.name', 1, 200);
  if (input.description != null) changes.description = requireNoNul(input.description, 'input.description');
  if (input.priceCents != null) changes.priceCents = requireInt(input.priceCents, 'input.priceCents', 0);
  if (input.currency != null) changes.currency = requireCurrency(input.currency, 'input.currency');
  if (input.stock != null) changes.stock = requireInt(input.stock, 'input.stock', 0);
  if (input.categoryId != null) changes.category = parseId(input.categoryId, 'input.categoryId');

  const fields = Object.keys(changes) as Updatable[];
  const assignments = fields.map((field) => `${UPDATABLE_COLUMNS[field]} = ?`);
  const differs = fields.map((field) => `old.${UPDATABLE_COLUMNS[field]} is distinct from ?`).join(' or ') || 'false';
  const values = fields.map((field) => changes[field]!);
  const changedFields = `array_remove(array[${fields
    .map((field) => `case when old.${UPDATABLE_COLUMNS[field]} is distinct from p.${UPDATABLE_COLUMNS[field]} then '${field}' end`)
    .join(', ')}]::text[], null)`;
  let rows: Record<string, unknown>[];
  try {
    rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `with old as (select * from product where id = ? for update),
       updated as (
         update product p
         set ${[...assignments, `updated_at = case when ${differs} then now() else old.updated_at end`].join(', ')}
         from old where p.id = old.id
         returning p.*, old.category_id as "old:category", ${changedFields} as "changed:fields"
       ),
       event as (
         insert into outbox_event (type, payload)
         select 'ProductUpdated', jsonb_build_object(
           'type', 'ProductUpdated',
           'productId', u.id,
           'fields', to_jsonb(u."changed:fields" || array['updatedAt']),
           'categoryIds', case when 'category' = any(u."changed:fields") then jsonb_build_array(u."old:category", u.category_id) else '[]'::jsonb end)
         from updated u where cardinality(u."changed:fields") > 0
         returning id, payload
       )
       select updated.*, event.id as "outbox:id", event.payload as "outbox:event" from updated left join event on true`,
      [productId, ...values, ...values],
    );
  } catch (error) {
    // Raw statements surface the driver's error; the ORM's translation names its kind.
    if (em.getDriver().convertException(error as Error) instanceof ForeignKeyConstraintViolationException) {
      throw new BadUserInputError(`"input.categoryId": no category has the id "${input.categoryId}".`, { field: 'input.categoryId' });
    }
    throw error;
  }
  const row = rows[0];
  if (!row) throw new NotFoundError('Product', id);
  const record = Object.fromEntries(Object.entries(row).filter(([key]) => !key.includes(':')));
  const product = em.map(Product, record);
  if (row['outbox:id'] != null) {
    // The event exactly as recorded, so subscribers hear what the outbox holds.
    await outbox.publish(outbox.recorded([row['outbox:id'] as string], [row['outbox:event'] as DomainEvent]));
  }
  return product;
}

/** The largest value of the `stock` integer column. */
const MAX_STOCK = 2_147_483_647;

/**
 * Adds `delta` to the stock in one conditional UPDATE, so concurrent callers never lose counts;
 * the same statement records the event in the outbox and returns the new row.
 */
export async function adjustStock(em: SqlEntityManager, outbox: EventOutbox, id: string, delta: number): Promise<Product> {
  const productId = parseId(id);
  requireInt(delta, 'delta', -1_000_000, 1_000_000);
  const events: DomainEvent[] = [{ type: 'ProductUpdated', productId, fields: ['stock', 'updatedAt'], categoryIds: [] }];
  const event = outboxInsert(outbox.recordsOf(events), 'updated');
  // bigint arithmetic: `stock + delta` past the integer column's maximum must not overflow.
  const rows = await em.getConnection().execute<Record<string, unknown>[]>(
    `with updated as (
       update product set stock = stock + ?, updated_at = now()
       where id = ? and stock::bigint + ? between 0 and ${MAX_STOCK} returning *
     ),
     event as (${event.sql})
     select updated.*, (select array_agg(id) from event) as "outbox:ids" from updated`,
    [delta, productId, delta, ...event.params],
  );
  const row = rows[0];
  if (!row) {
    const current = await em.findOne(Product, { id: productId }, { refresh: true });
    if (!current) throw new NotFoundError('Product', id);
    if (current.stock + delta > MAX_STOCK) {
      throw new BadUserInputError(`"delta": the stock of product ${id} cannot exceed ${MAX_STOCK}.`, { field: 'delta' });
    }
    throw new BadUserInputError(`"delta": the stock of product ${id} cannot go below zero.`, {
      field: 'delta',
      reason: 'INSUFFICIENT_STOCK',
    });
  }
  const product = em.map(Product, Object.fromEntries(Object.entries(row).filter(([key]) => !key.includes(':'))));
  await outbox.publish(outbox.recorded(row['outbox:ids'] as string[], events));
  return product;
}
