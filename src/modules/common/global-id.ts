/**
 * The `nodeId` of Relay's Global Object Identification: the base64url of `<Type>:<id>`. A
 * type's own `id` is unique within its table only (product 7 and category 7 both exist), so
 * fetching an object again from its id alone needs the type inside the id. Opaque, like a
 * cursor, so clients read ids from the API instead of building them, and the form may change.
 */
import { BadUserInputError } from '../../errors';

const DECODED = /^([A-Z][A-Za-z]*):([1-9][0-9]{0,9})$/;
const MAX_ID = 2_147_483_647;

export function toGlobalId(typeName: string, id: number): string {
  return Buffer.from(`${typeName}:${id}`).toString('base64url');
}

/**
 * Reads a `nodeId` back. `types`: the types that have nodes. Anything this API did not issue
 * is the caller's mistake (BAD_USER_INPUT), answered with what an id looks like; whether the
 * row exists is for the caller of this function to find out.
 */
export function fromGlobalId<T extends string>(value: string, types: readonly T[], argument = 'id'): { typeName: T; id: number } {
  const match = DECODED.exec(Buffer.from(value, 'base64url').toString('utf8'));
  // Node's base64url decoder skips characters it does not know; only the one spelling this API
  // issues is accepted, so an object never answers to several ids.
  if (!match || Number(match[2]) > MAX_ID || toGlobalId(match[1]!, Number(match[2])) !== value) {
    const hint = /^\d{1,20}$/.test(value) ? ` "${value}" looks like a type's own \`id\`; read the object's \`nodeId\` instead.` : '';
    throw new BadUserInputError(
      `"${argument}" is not a node id: pass a \`nodeId\` read from this API, an opaque string such as "${example(types)}".${hint}`,
      { field: argument },
    );
  }
  const typeName = match[1]!;
  if (!(types as readonly string[]).includes(typeName)) {
    throw new BadUserInputError(
      `"${argument}" names ${typeName}, which has no node ids; node ids are of ${types.join(', ')}, such as "${example(types)}".`,
      { field: argument },
    );
  }
  return { typeName: typeName as T, id: Number(match[2]) };
}

function example(types: readonly string[]): string {
  return toGlobalId(types[0] ?? 'Product', 42);
}
