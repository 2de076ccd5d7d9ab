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

export function createEntityCodec<T extends object>(meta: EntityMetadata<T>): EntityCodec<T> {
  const props = meta.props.filter(
    (prop) => !prop.lazy && !prop.hidden && (prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.MANY_TO_ONE),
  );
  const dates = props.filter((prop) => prop.kind === ReferenceKind.SCALAR && prop.runtimeType === 'Date').map((p) => p.name as string);
  const references = props.filter((prop) => prop.kind === ReferenceKind.MANY_TO_ONE).map((p) => p.name as string);
  const names = props.map((p) => p.name as string);

  return {
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
