/**
 * Turns an entity into a JSON-safe record for the cache and back, driven by the entity's
 * MikroORM metadata: dates travel as ISO strings, a many-to-one as `{ id }`, and lazy or hidden
 * properties (a password hash) are never written. A decoded record, and a record read straight
 * from a row, is a plain object with the same shape and types as the ORM entity (dates as
 * `Date`, absent values as `null`), so no resolver can tell where an entity came from: a cursor
 * built from a row's raw timestamp text was once refused by the API that issued it.
 */
import { ReferenceKind, type EntityMetadata } from '@mikro-orm/core';

export interface EntityCodec<T> {
  encode(entity: T): Record<string, unknown>;
  decode(record: unknown): T;
}

/** A codec that can also read the entity's table directly, for loads that feed the cache. */
export interface RowCodec<T> extends EntityCodec<T> {
  /** `select <columns> from <table>`: the cached properties' columns only (no password hash). */
  readonly selectFrom: string;
  /** A database row as the same plain record `decode` gives. */
  fromRow(row: Record<string, unknown>): T;
}

export function createEntityCodec<T extends object>(meta: EntityMetadata<T>): RowCodec<T> {
  const props = meta.props.filter(
    (prop) => !prop.lazy && !prop.hidden && (prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.MANY_TO_ONE),
  );
  const kinds = new Map(
    props.map((prop) => [
      prop.name as string,
      prop.kind === ReferenceKind.MANY_TO_ONE ? 'reference' : prop.runtimeType === 'Date' ? 'date' : 'plain',
    ]),
  );
  const references = props.filter((prop) => prop.kind === ReferenceKind.MANY_TO_ONE).map((p) => p.name as string);
  const names = props.map((p) => p.name as string);
  const columns = props.map((p) => ({ name: p.name as string, column: p.fieldNames[0]! }));
  /** A property's value in the ORM entity's form, from JSON or from the driver's row. */
  const revive = (name: string, value: unknown): unknown => {
    if (value === undefined || value === null) return null;
    const kind = kinds.get(name);
    if (kind === 'reference') return typeof value === 'object' ? value : { id: value };
    // The driver hands timestamps over as PostgreSQL's text; the ORM hydrates them as Date.
    if (kind === 'date' && !(value instanceof Date)) return new Date(value as string);
    return value;
  };

  return {
    selectFrom: `select ${columns.map((c) => `"${c.column}"`).join(', ')} from "${meta.tableName}"`,
    fromRow(row) {
      const record: Record<string, unknown> = {};
      for (const { name, column } of columns) record[name] = revive(name, row[column]);
      return record as T;
    },
    encode(entity) {
      const source = entity as Record<string, unknown>;
      const record: Record<string, unknown> = {};
      for (const name of names) record[name] = source[name];
      for (const name of references) {
        const ref = source[name] as { id?: unknown } | null | undefined;
        record[name] = ref == null ? null : { id: ref.id };
      }
      return record;
    },
    decode(record) {
      const source = record as Record<string, unknown>;
      const result: Record<string, unknown> = {};
      for (const name of names) result[name] = revive(name, source[name]);
      return result as T;
    },
  };
}
