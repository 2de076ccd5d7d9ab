/**
 * The cache policy map: `@cached` directives read from the schema once, at boot, into plain
 * data keyed by schema coordinate (`Product`, `Product.averageRating`). Code holds defaults
 * only (the ttl a directive leaves out comes from config); a directive that makes no sense
 * stops the start.
 */
import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { GraphQLObjectType, isObjectType, type GraphQLSchema } from 'graphql';

export type CacheScope = 'PUBLIC' | 'PRIVATE';

export interface CachePolicy {
  /** Seconds an entry is fresh. */
  ttl: number;
  scope: CacheScope;
  /** Seconds after `ttl` a stale entry may be served while one caller refreshes. */
  staleWhileRevalidate: number;
  /** Tag templates from the directive, beyond the automatic ones. */
  tags: readonly string[];
}

export interface PolicyMap {
  /** Policy of an object type: its entities' lifetime and its fields' default. */
  types: ReadonlyMap<string, CachePolicy>;
  /** Fields that carry `@cached` themselves: their resolvers get wrapped. */
  fields: ReadonlyMap<string, CachePolicy>;
  /** The policy that applies to a field, own or inherited from its type; undefined if none. */
  policyOf(typeName: string, fieldName: string): CachePolicy | undefined;
}

/** The ttl of a `@cached` that names none, on itself or on its type, unless configured. */
export const DEFAULT_TTL_SECONDS = 60;

export interface PolicyMapOptions {
  /** Default 60 s (`CACHE_DEFAULT_TTL_SECONDS`). The ttl of a `@cached` naming none, nor its type. */
  defaultTtl?: number;
}

export class CachePolicyError extends Error {
  override name = 'CachePolicyError';
}

interface CachedArgs {
  ttl?: number | null;
  scope?: CacheScope | null;
  staleWhileRevalidate?: number | null;
  tags?: string[] | null;
}

const TEMPLATE = /\{([^}]+)\}/g;
const MAX_TTL = 7 * 24 * 3600;

function check(coordinate: string, policy: CachePolicy): CachePolicy {
  if (!Number.isInteger(policy.ttl) || policy.ttl < 1 || policy.ttl > MAX_TTL) {
    throw new CachePolicyError(`@cached on ${coordinate}: ttl must be from 1 to ${MAX_TTL} seconds; got ${policy.ttl}.`);
  }
  if (!Number.isInteger(policy.staleWhileRevalidate) || policy.staleWhileRevalidate < 0 || policy.staleWhileRevalidate > MAX_TTL) {
    throw new CachePolicyError(`@cached on ${coordinate}: staleWhileRevalidate must be from 0 to ${MAX_TTL}.`);
  }
  for (const tag of policy.tags) {
    for (const [, path] of tag.matchAll(TEMPLATE)) {
      if (!/^(parent\.id|args(\.[A-Za-z_][A-Za-z0-9_]*)+\??)$/.test(path!)) {
        throw new CachePolicyError(`@cached on ${coordinate}: tag "${tag}" uses {${path}}; use {parent.id} or {args.name...}.`);
      }
    }
  }
  return policy;
}

export function readPolicyMap(schema: GraphQLSchema, options: PolicyMapOptions = {}): PolicyMap {
  const defaultTtl = options.defaultTtl ?? DEFAULT_TTL_SECONDS;
  const types = new Map<string, CachePolicy>();
  const fields = new Map<string, CachePolicy>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeArgs = getDirective(schema, type, 'cached')?.[0] as CachedArgs | undefined;
    let typePolicy: CachePolicy | undefined;
    if (typeArgs) {
      typePolicy = check(type.name, {
        ttl: typeArgs.ttl ?? defaultTtl,
        scope: typeArgs.scope ?? 'PUBLIC',
        staleWhileRevalidate: typeArgs.staleWhileRevalidate ?? 0,
        tags: typeArgs.tags ?? [],
      });
      types.set(type.name, typePolicy);
    }
    for (const field of Object.values(type.getFields())) {
      const args = getDirective(schema, field, 'cached')?.[0] as CachedArgs | undefined;
      if (!args) continue;
      const coordinate = `${type.name}.${field.name}`;
      fields.set(
        coordinate,
        check(coordinate, {
          ttl: args.ttl ?? typePolicy?.ttl ?? defaultTtl,
          scope: args.scope ?? typePolicy?.scope ?? 'PUBLIC',
          staleWhileRevalidate: args.staleWhileRevalidate ?? typePolicy?.staleWhileRevalidate ?? 0,
          tags: args.tags ?? [],
        }),
      );
    }
  }
  return {
    types,
    fields,
    policyOf: (typeName, fieldName) => fields.get(`${typeName}.${fieldName}`) ?? types.get(typeName),
  };
}

/**
 * Fills a tag template from the field's parent and arguments. Returns null when a placeholder
 * has no value (e.g. `{args.filter.categoryId}` on an unfiltered list): that tag does not apply.
 * A placeholder ending in `?` only asks whether the value is there and inserts nothing, for
 * tags that say "this list depends on a price filter" whatever its bounds.
 */
export function expandTag(template: string, parentId: string | number | undefined, args: Record<string, unknown>): string | null {
  let missing = false;
  const tag = template.replace(TEMPLATE, (_match, placeholder: string) => {
    const presence = placeholder.endsWith('?');
    const path = presence ? placeholder.slice(0, -1) : placeholder;
    let value: unknown;
    if (path === 'parent.id') value = parentId;
    else value = path.split('.').slice(1).reduce<unknown>((node, key) => (node == null ? undefined : (node as Record<string, unknown>)[key]), args);
    if (value === undefined || value === null || value === '' || (!presence && typeof value === 'object')) {
      missing = true;
      return '';
    }
    return presence ? '' : String(value);
  });
  return missing ? null : tag;
}

/** One line saying what a policy does, as Sandbox readers see it under a type or field. */
export function describePolicy(policy: CachePolicy): string {
  const parts = [`cached ${policy.ttl} s`, policy.scope === 'PRIVATE' ? 'per user (PRIVATE)' : 'shared (PUBLIC)'];
  if (policy.staleWhileRevalidate > 0) parts.push(`served stale up to ${policy.staleWhileRevalidate} s more while refreshing`);
  return `Server cache: ${parts.join(', ')}; dropped as soon as a write changes it.`;
}

/**
 * Appends each policy to its type's or field's description, so the caching policy shows in
 * Sandbox's docs next to the data (introspection does not expose applied directives).
 */
export function withPolicyDescriptions(schema: GraphQLSchema, policies: PolicyMap): GraphQLSchema {
  const append = (description: string | null | undefined, policy: CachePolicy) =>
    `${description ? `${description}\n\n` : ''}${describePolicy(policy)}`;
  return mapSchema(schema, {
    [MapperKind.OBJECT_TYPE]: (type) => {
      const policy = policies.types.get(type.name);
      if (!policy) return type;
      const config = type.toConfig();
      return new GraphQLObjectType({ ...config, description: append(config.description, policy) });
    },
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const policy = policies.fields.get(`${typeName}.${fieldName}`);
      return policy ? { ...fieldConfig, description: append(fieldConfig.description, policy) } : fieldConfig;
    },
  });
}
