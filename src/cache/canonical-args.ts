/**
 * Arguments in one canonical form, so requests that mean the same thing share one key and one
 * set of tags: `after: null` and no `after`, `filter: {}` and no filter, `"  lamp "` and
 * `"lamp"`, the id `"01"` and `"1"`. The field's resolver is given the same canonical
 * arguments, so a key never stands for two different answers.
 */
import {
  getNullableType,
  isInputObjectType,
  isListType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLInputType,
} from 'graphql';

/** The canonical form of `value` of type `type`; undefined when it says nothing (dropped). */
function canonical(value: unknown, type: GraphQLInputType): unknown {
  if (value === null || value === undefined) return undefined;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    // Inside a list, a null is an element, not an absence.
    return Array.isArray(value) ? value.map((item) => canonical(item, nullable.ofType) ?? null) : value;
  }
  if (isInputObjectType(nullable)) {
    const fields = nullable.getFields();
    const result: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(fields)) {
      const inner = canonical((value as Record<string, unknown>)[name], field.type);
      if (inner !== undefined) result[name] = inner;
    }
    return Object.keys(result).length > 0 ? result : undefined;
  }
  if (isScalarType(nullable) && typeof value === 'string') {
    // An id of digits is a number in another spelling: leading zeros name the same row.
    if (nullable.name === 'ID') return /^\d+$/.test(value) ? value.replace(/^0+(?=\d)/, '') : value;
    if (nullable.name === 'String') return value.trim();
  }
  return value;
}

/** `args` of a field with argument definitions `definitions`, in canonical form. */
export function canonicalArgs(args: Record<string, unknown>, definitions: readonly Pick<GraphQLArgument, 'name' | 'type'>[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const { name, type } of definitions) {
    const value = canonical(args[name], type);
    if (value !== undefined) result[name] = value;
  }
  return result;
}
