/**
 * Turns a resolver's result into what a field entry stores, guided by the field's GraphQL type:
 * entities become references (`{ "__ref": id }`), so one entity is stored once, by its loader,
 * and a price change rewrites one entry rather than every page showing the product.
 */
import {
  getNullableType,
  isEnumType,
  isListType,
  isObjectType,
  isScalarType,
  type GraphQLOutputType,
} from 'graphql';

export class NotCacheableError extends Error {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function plain(value: unknown): Json | undefined {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  return undefined;
}

/** `isEntity(typeName)`: the type has an entity loader, so it can be stored as a reference. */
export function normalize(value: unknown, type: GraphQLOutputType, isEntity: (typeName: string) => boolean): unknown {
  const walk = (node: unknown, nodeType: GraphQLOutputType): Json => {
    if (node === null || node === undefined) return null;
    const nullable = getNullableType(nodeType);
    if (isListType(nullable)) {
      if (!Array.isArray(node)) throw new NotCacheableError('expected a list');
      return node.map((item) => walk(item, nullable.ofType));
    }
    if (isScalarType(nullable) || isEnumType(nullable)) {
      const value = plain(node);
      if (value === undefined) throw new NotCacheableError(`cannot store a ${nullable.name} value`);
      return value;
    }
    if (!isObjectType(nullable)) throw new NotCacheableError(`abstract type ${nullable.name}`);
    const record = node as Record<string, unknown>;
    if (isEntity(nullable.name)) return { __ref: record.id as string | number };
    const fields = nullable.getFields();
    const out: { [key: string]: Json } = {};
    for (const [key, value] of Object.entries(record)) {
      const field = fields[key];
      if (field) {
        if (typeof value !== 'function') out[key] = walk(value, field.type);
        continue;
      }
      // Internal bookkeeping a type's own resolvers read (e.g. a parent id): kept if plain.
      const kept = plain(value);
      if (kept !== undefined) out[key] = kept;
    }
    return out;
  };
  return walk(value, type);
}

/**
 * The reverse: rebuilds a value from a stored entry, loading every referenced entity through
 * `load` (the request's entity loaders, which batch). Resolves to undefined if an entity has
 * gone, so the caller recomputes instead of serving a hole.
 */
export async function denormalize(
  data: unknown,
  type: GraphQLOutputType,
  load: (typeName: string, id: string | number) => Promise<unknown>,
): Promise<unknown> {
  let gone = false;
  const walk = async (node: unknown, nodeType: GraphQLOutputType): Promise<unknown> => {
    if (node === null || node === undefined) return null;
    const nullable = getNullableType(nodeType);
    if (isListType(nullable)) return Promise.all((node as unknown[]).map((item) => walk(item, nullable.ofType)));
    if (!isObjectType(nullable)) return node;
    const record = node as Record<string, unknown>;
    if ('__ref' in record) {
      const entity = await load(nullable.name, record.__ref as string | number);
      if (entity === null || entity === undefined) gone = true;
      return entity;
    }
    const fields = nullable.getFields();
    const out: Record<string, unknown> = {};
    await Promise.all(
      Object.entries(record).map(async ([key, value]) => {
        const field = fields[key];
        out[key] = field ? await walk(value, field.type) : value;
      }),
    );
    return out;
  };
  const value = await walk(data, type);
  return gone ? undefined : value;
}
