/**
 * One shape for an entity wherever it comes from: loaded by the ORM (cache off), read from a
 * row by a cached loader (a cold cache), or decoded from a cache entry (L1 or Redis). A resolver
 * that could tell them apart once built cursors the API itself then refused.
 */
import { Reference, ReferenceKind } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { createEntityCodec } from '../../src/db/entity-codec';
import { intArray } from '../../src/db/int-array';
import { createDatabase, migrate, type Database } from '../../src/db/orm';
import { seed } from '../../src/db/seed/seed';
import { entities } from '../../src/modules';
import { Category } from '../../src/modules/category/category.entity';
import { Order } from '../../src/modules/order/order.entity';
import { Product } from '../../src/modules/product/product.entity';
import { Review } from '../../src/modules/review/review.entity';
import { User } from '../../src/modules/user/user.entity';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const CLASSES = { Product, Category, User, Review, Order };

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase('entity_shape');
  database = await createDatabase({ clientUrl: testDb.url, entities, poolMax: 2 });
  await migrate(database.orm);
  await seed(database.orm, { size: 'demo', passwordHash: 'not-used' });
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

/** Each property as its kind and value: a Date and its ISO text differ here, as for a resolver. */
function shapeOf(entity: object, names: readonly string[]): Record<string, unknown> {
  const record = entity as Record<string, unknown>;
  return Object.fromEntries(
    names.map((name) => {
      const value = record[name];
      if (value instanceof Date) return [name, ['Date', value.toISOString()]];
      if (value !== null && typeof value === 'object') {
        const id = ((Reference.isReference(value) ? value.unwrap() : value) as { id: unknown }).id;
        return [name, ['ref', typeof id, id]];
      }
      return [name, [value === null ? 'null' : typeof value, value]];
    }),
  );
}

describe.each(Object.keys(CLASSES) as (keyof typeof CLASSES)[])('%s', (typeName) => {
  const entityClass = CLASSES[typeName];

  function codecAndNames() {
    const meta = database.orm.getMetadata().get(entityClass.name);
    const names = meta.props
      .filter((p) => !p.lazy && !p.hidden && (p.kind === ReferenceKind.SCALAR || p.kind === ReferenceKind.MANY_TO_ONE))
      .map((p) => p.name as string);
    return { codec: createEntityCodec<object>(meta), names };
  }

  it('an ORM entity, a row read by a cached loader, and a decoded cache entry look the same', async () => {
    const { codec, names } = codecAndNames();
    const em = database.orm.em.fork() as SqlEntityManager;
    const ormEntities = (await em.find(entityClass as never, {}, { orderBy: { id: 'asc' }, limit: 20 })) as { id: number }[];
    expect(ormEntities.length).toBeGreaterThan(0);
    const ids = ormEntities.map((e) => e.id);
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(`${codec.selectFrom} where "id" = any(?::int[]) order by "id"`, [intArray(ids)]);
    const fromRows = rows.map((row) => codec.fromRow(row));
    // Through JSON, as both L1 and Redis keep entries.
    const viaCache = (entity: object) => codec.decode(JSON.parse(JSON.stringify(codec.encode(entity))));

    ormEntities.forEach((ormEntity, i) => {
      const expected = shapeOf(ormEntity, names);
      expect(shapeOf(fromRows[i]!, names)).toEqual(expected);
      expect(shapeOf(viaCache(fromRows[i]!), names)).toEqual(expected);
      expect(shapeOf(viaCache(ormEntity), names)).toEqual(expected);
    });
  });
});

it('timestamps are kept to the millisecond, the precision of every cursor', async () => {
  const connection = database.orm.em.getConnection();
  await connection.execute(`update product set created_at = '2025-03-04 05:06:07.123456+00' where id = 1`);
  const [row] = await connection.execute<{ created_at: string }[]>(`select to_char(created_at at time zone 'UTC', 'HH24:MI:SS.US') as created_at from product where id = 1`);
  expect(row!.created_at).toBe('05:06:07.123000');
});
