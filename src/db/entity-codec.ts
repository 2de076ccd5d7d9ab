/**
 * Turns an entity into a JSON-safe record for the cache and back, driven by the entity's
 * MikroORM metadata: dates travel as ISO strings, a many-to-one as `{ id }`, and lazy or hidden
 * properties (a password hash) are never written. A decoded record is a plain, read-only
 * object shaped like the entity, which is all a resolver reads.
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
  const dates = props.filter((prop) => prop.kind === ReferenceKind.SCALAR && prop.runtimeType === 'Date').map((p) => p.name as string);
  const references = props.filter((prop) => prop.kind === ReferenceKind.MANY_TO_ONE).map((p) => p.name as string);
  const names = props.map((p) => p.name as string);
  const columns = props.map((p) => ({ name: p.name as string, column: p.fieldNames[0]!, reference: p.kind === ReferenceKind.MANY_TO_ONE }));

  return {
    selectFrom: `select ${columns.map((c) => `"${c.column}"`).join(', ')} from "${meta.tableName}"`,
    fromRow(row) {
      const record: Record<string, unknown> = {};
      for (const { name, column, reference } of columns) {
        const value = row[column];
        record[name] = reference ? (value == null ? null : { id: value }) : value;
      }
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
      const result = { ...(record as Record<string, unknown>) };
      for (const name of dates) if (typeof result[name] === 'string') result[name] = new Date(result[name] as string);
      return result as T;
    },
  };
}
