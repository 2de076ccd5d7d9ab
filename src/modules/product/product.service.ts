/**
 * Back-office writes to the catalog. Each runs in one transaction and, after it commits,
 * announces what changed.
 */
import { LockMode, ref, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, NotFoundError } from '../../errors';
import type { EventBus } from '../../events/bus';
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

export async function createProduct(em: SqlEntityManager, events: EventBus, input: CreateProductFields): Promise<Product> {
  const sku = requireText(input.sku, 'input.sku', 1, 64);
  const name = requireText(input.name, 'input.name', 1, 200);
  const priceCents = requireInt(input.priceCents, 'input.priceCents', 0);
  const stock = requireInt(input.stock ?? 0, 'input.stock', 0);
  const currency = requireCurrency(input.currency ?? 'USD', 'input.currency');
  const description = requireNoNul(input.description ?? '', 'input.description');
  const duplicateSku = () =>
    new BadUserInputError(`"input.sku": a product with the SKU "${sku}" exists already.`, { field: 'input.sku' });
  const product = await em.transactional(async (tx) => {
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
    return created;
  }).catch((error: unknown) => {
    // Two concurrent creations with one SKU: the unique index decides, the loser hears why.
    throw error instanceof UniqueConstraintViolationException ? duplicateSku() : error;
  });
  await events.publish({ type: 'ProductCreated', productId: product.id, categoryId: product.category.id });
  return product;
}

export async function updateProduct(
  em: SqlEntityManager,
  events: EventBus,
  id: string,
  input: UpdateProductFields,
): Promise<Product> {
  const productId = parseId(id);
  const changes: Partial<Pick<Product, 'name' | 'description' | 'priceCents' | 'currency' | 'stock'>> = {};
  if (input.name != null) changes.name = requireText(input.name, 'input.name', 1, 200);
  if (input.description != null) changes.description = requireNoNul(input.description, 'input.description');
  if (input.priceCents != null) changes.priceCents = requireInt(input.priceCents, 'input.priceCents', 0);
  if (input.currency != null) changes.currency = requireCurrency(input.currency, 'input.currency');
  if (input.stock != null) changes.stock = requireInt(input.stock, 'input.stock', 0);

  const { product, fields, categoryIds } = await em.transactional(async (tx) => {
    const found = await tx.findOne(Product, { id: productId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!found) throw new NotFoundError('Product', id);
    const changed = Object.keys(changes).filter(
      (key) => found[key as keyof typeof changes] !== changes[key as keyof typeof changes],
    );
    const moved: number[] = [];
    if (input.categoryId != null) {
      const category = await requireCategory(tx, input.categoryId, 'input.categoryId');
      if (category.id !== found.category.id) {
        moved.push(found.category.id, category.id);
        found.category = ref(category);
        changed.push('category');
      }
    }
    tx.assign(found, changes);
    if (changed.length > 0) found.updatedAt = new Date();
    await tx.flush();
    return { product: found, fields: changed, categoryIds: moved };
  });
  if (fields.length > 0) {
    await events.publish({ type: 'ProductUpdated', productId, fields: [...fields, 'updatedAt'], categoryIds });
  }
  return product;
}

/** The largest value of the `stock` integer column. */
const MAX_STOCK = 2_147_483_647;

/** Adds `delta` to the stock in one conditional UPDATE, so concurrent callers never lose counts. */
export async function adjustStock(em: SqlEntityManager, events: EventBus, id: string, delta: number): Promise<Product> {
  const productId = parseId(id);
  requireInt(delta, 'delta', -1_000_000, 1_000_000);
  // bigint arithmetic: `stock + delta` past the integer column's maximum must not overflow.
  const rows = await em.getConnection().execute<{ id: number }[]>(
    `update product set stock = stock + ?, updated_at = now()
     where id = ? and stock::bigint + ? between 0 and ${MAX_STOCK} returning id`,
    [delta, productId, delta],
  );
  if (rows.length === 0) {
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
  await events.publish({ type: 'ProductUpdated', productId, fields: ['stock', 'updatedAt'], categoryIds: [] });
  const product = await em.findOneOrFail(Product, { id: productId }, { refresh: true });
  return product;
}
