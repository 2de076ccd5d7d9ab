/**
 * Every Redis key the cache writes, built in one place so the format is testable and stable:
 *
 *   <prefix>:gen                          the current generation (a purge moves it)
 *   <prefix>:s<shape>:g<gen>:e:<Type>:<id>         an entity
 *   <prefix>:s<shape>:g<gen>:f:<Type.field>:<parent>:<argsHash>[:u<userId>]   a field's result
 *   <prefix>:s<shape>:g<gen>:r:<requestHash>[:u<userId>]   a whole response
 *   <prefix>:tv:<tag>                     the version of <tag>: moved by each invalidation
 *   <prefix>:tv:*                         the invalidation counter (the latest stamp)
 *
 * Entry keys carry the schema's shape (a hash of it), so a deploy that changes the schema never
 * reads entries written in the old shape. Nothing else does: during a rolling deploy old and
 * new instances share tag versions, the generation and the invalidation channel, so a write on
 * either ends the other's entries. Nor do tag versions carry the generation: instances can
 * disagree on it for a while (Redis restarted without persistence and forgot it, and an
 * instance started since reads 0 while the others keep theirs), and a write must still end
 * every instance's entries.
 */
import { createHash } from 'node:crypto';

export class KeySpace {
  constructor(
    /** The deployment's prefix (`CACHE_KEY_PREFIX`), e.g. `sf`; channels are named after it too. */
    readonly prefix: string,
    /** Bumped by a purge; every entry key carries it. */
    public generation: number,
    /** A hash of the schema, carried by entry keys only; empty: none. */
    readonly shape = '',
  ) {}

  get generationKey(): string {
    return `${this.prefix}:gen`;
  }

  private get base(): string {
    return `${this.prefix}${this.shape ? `:s${this.shape}` : ''}:g${this.generation}`;
  }

  entity(type: string, id: string | number): string {
    return `${this.base}:e:${type}:${id}`;
  }

  field(coordinate: string, parentId: string | number | undefined, argsHash: string, userId?: number): string {
    return `${this.base}:f:${coordinate}:${parentId ?? '-'}:${argsHash}${userId === undefined ? '' : `:u${userId}`}`;
  }

  response(requestHash: string, userId?: number): string {
    return `${this.base}:r:${requestHash}${userId === undefined ? '' : `:u${userId}`}`;
  }


  tagVersion(tag: string): string {
    return `${this.prefix}:tv:${tag}`;
  }
}

/** Stable JSON: object keys sorted, so `{a,b}` and `{b,a}` give one key. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** A short hash of the arguments: 16 hex characters of SHA-1 over their stable JSON. */
export function hashArgs(args: Record<string, unknown>): string {
  if (Object.keys(args).length === 0) return '0';
  return createHash('sha1').update(stableStringify(args)).digest('hex').slice(0, 16);
}

/**
 * An id as tags spell it: one spelling per row, so `"042"` and `42` name the same entity and
 * a write reaches what either built. Non-numeric ids (a session's hash) are kept as they are.
 */
export function canonicalId(id: string | number): string {
  return typeof id === 'string' && /^\d+$/.test(id) ? id.replace(/^0+(?=\d)/, '') : String(id);
}

/** The tag of one entity, e.g. `Product:42`. */
export function entityTag(type: string, id: string | number): string {
  return `${type}:${canonicalId(id)}`;
}

/** The tag of one entity's relation or field, e.g. `Product:42:reviews`. */
export function relationTag(type: string, id: string | number, field: string): string {
  return `${entityTag(type, id)}:${field}`;
}

/** The tag of every root list of a type, e.g. `Product:list`: a new row may belong to any. */
export function listTag(type: string): string {
  return `${type}:list`;
}
