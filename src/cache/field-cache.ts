/**
 * Per-resolver caching. When the schema is built, each field that carries `@cached` gets its
 * resolver wrapped; no other field pays anything. A wrapped field looks its key up (batched
 * with every other cached field resolved in the same tick: one MGET), and on a miss runs the
 * resolver and stores the normalized result under its list tags.
 */
import DataLoader from 'dataloader';
import {
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { cacheDebug } from './cache-debug';
import { canonicalArgs } from './canonical-args';
import { InFlight } from './in-flight';
import { hashArgs, listTag, relationTag } from './keys';
import { touchTags, UNKNOWN_VERSION, withProvenance } from './request-scope';
import { denormalize, normalize, NotCacheableError } from './normalize';
import { expandTag, type CachePolicy, type PolicyMap } from './policy';
import type { CacheEntry, FillToken, TwoTierCache } from './two-tier-cache';

/** The per-request side of field caching; lives in the GraphQL context. */
export interface FieldCacheRequest {
  /** The signed-in user, for PRIVATE fields; undefined when anonymous. */
  userId: number | undefined;
  lookup(request: { key: string; source: string; checkTags: readonly string[] }): Promise<{ entry: CacheEntry | undefined; token: FillToken }>;
  /** Loads an entity through the request's loaders (batched), for rebuilding references. */
  loadEntity(typeName: string, id: string | number): Promise<unknown>;
}

export function createFieldCacheRequest(
  cache: TwoTierCache,
  userId: number | undefined,
  loadEntity: FieldCacheRequest['loadEntity'],
): FieldCacheRequest {
  const checkTagsOf = new Map<string, readonly string[]>();
  const sourceOf = new Map<string, string>();
  const loader = new DataLoader<string, { entry: CacheEntry | undefined; token: FillToken }>(async (keys) => {
    const tags = [...new Set(keys.flatMap((key) => checkTagsOf.get(key) ?? []))];
    const { entries, token } = await cache.lookup(
      keys.map((key) => sourceOf.get(key)!),
      keys,
      tags,
      { acceptStale: true },
    );
    return entries.map((entry) => ({ entry, token }));
  });
  return {
    userId,
    loadEntity,
    lookup({ key, source, checkTags }) {
      checkTagsOf.set(key, checkTags);
      sourceOf.set(key, source);
      return loader.load(key);
    },
  };
}

export interface FieldCacheOptions {
  policies: PolicyMap;
  cache: TwoTierCache;
  /** The request's FieldCacheRequest, or undefined to bypass the cache for this request. */
  requestOf: (context: unknown) => FieldCacheRequest | undefined;
  /** Types stored as references (they have an entity loader). */
  isEntity: (typeName: string) => boolean;
}

/** The type a list field is a list of: `[T]`, or `T` of a connection's `edges.node`. */
function listItemType(type: GraphQLOutputType): GraphQLObjectType | undefined {
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const item = getNamedType(nullable);
    return isObjectType(item) ? item : undefined;
  }
  if (isObjectType(nullable)) {
    const edges = nullable.getFields().edges;
    if (edges) {
      const edge = getNamedType(edges.type);
      const node = isObjectType(edge) ? edge.getFields().node : undefined;
      const nodeType = node && getNamedType(node.type);
      return nodeType && isObjectType(nodeType) ? nodeType : undefined;
    }
  }
  return undefined;
}

/** Paths of ID arguments named `<thing>Id`, at the top or one input object down. */
function idArgumentPaths(args: readonly Pick<GraphQLArgument, 'name' | 'type'>[]): { path: string[]; typeName: string }[] {
  const paths: { path: string[]; typeName: string }[] = [];
  const consider = (name: string, type: unknown, prefix: string[]) => {
    const named = getNamedType(type as GraphQLOutputType);
    if (isScalarType(named) && named.name === 'ID' && /.Id$/.test(name)) {
      paths.push({ path: [...prefix, name], typeName: name[0]!.toUpperCase() + name.slice(1, -2) });
    }
  };
  for (const arg of args) {
    consider(arg.name, arg.type, []);
    const named = getNamedType(arg.type);
    if (isInputObjectType(named)) {
      for (const field of Object.values(named.getFields())) consider(field.name, field.type, [arg.name]);
    }
  }
  return paths;
}

interface WrappedField {
  coordinate: string;
  policy: CachePolicy;
  isRoot: boolean;
  parentType: string;
  fieldName: string;
  returnType: GraphQLOutputType;
  listType: GraphQLObjectType | undefined;
  idArgs: { path: string[]; typeName: string }[];
  /** The field's argument definitions, for canonical arguments. */
  args: Pick<GraphQLArgument, 'name' | 'type'>[];
}

/**
 * Tags a field's entry is checked against and filed under, known before it is computed:
 * for a field of an entity, `<Type>:<id>:<field>` (new rows of that relation land there); for a
 * root list, `<Item>:list` and `<Thing>:<id>:<field>` for each `<thing>Id` argument; plus the
 * directive's own tags.
 */
export function upFrontTags(field: WrappedField, parentId: string | number | undefined, args: Record<string, unknown>): string[] {
  const tags: string[] = [];
  if (!field.isRoot && parentId !== undefined) tags.push(relationTag(field.parentType, parentId, field.fieldName));
  if (field.isRoot && field.listType) {
    tags.push(listTag(field.listType.name));
    for (const { path, typeName } of field.idArgs) {
      const value = path.reduce<unknown>((node, key) => (node == null ? undefined : (node as Record<string, unknown>)[key]), args);
      if (value != null) tags.push(relationTag(typeName, String(value), field.fieldName));
    }
  }
  for (const template of field.policy.tags) {
    const tag = expandTag(template, parentId, args);
    if (tag) tags.push(tag);
  }
  return tags;
}

/** A field's stored data, with the versions of its tags it holds (see `touchTags`). */
interface Computed {
  data: unknown;
  versions: Readonly<Record<string, string>> | undefined;
}

/**
 * The versions of `tags` a result holds: those its lookup saw, unless what the resolver read
 * under a tag was checked against another (a part from a lagging L1): then not known.
 */
function agreed(tags: readonly string[], atLookup: Record<string, string> | undefined, read: ReadonlyMap<string, string>): Record<string, string> | undefined {
  if (!atLookup) return undefined;
  const versions: Record<string, string> = {};
  for (const tag of tags) {
    const part = read.get(tag);
    versions[tag] = part === undefined || part === atLookup[tag] ? atLookup[tag]! : UNKNOWN_VERSION;
  }
  return versions;
}

/** How long a cold root field's lock lasts, and how long other instances wait on it. */
const LOCK_MS = 2000;
const LOCK_WAIT_MS = 1000;

/**
 * Probabilistic early expiration ("XFetch"): a hit close to its expiry refreshes early with a
 * probability that rises as expiry nears, so a hot key is recomputed by one caller before it
 * expires instead of by every caller after. `delta` stands for the cost of a recompute.
 */
function refreshEarly(freshUntil: number, ttlSeconds: number, now: number): boolean {
  const delta = Math.min(ttlSeconds * 20, 1000);
  return now - delta * Math.log(Math.random()) >= freshUntil;
}

function wrap(field: WrappedField, resolve: GraphQLFieldResolver<unknown, unknown>, options: FieldCacheOptions): GraphQLFieldResolver<unknown, unknown> {
  const { cache } = options;
  // Computations under way in this process, by key: concurrent misses share one.
  const inflight = new InFlight<string, Computed | undefined>(cache);

  /**
   * Runs the resolver once for `key`, stores its result, and lets concurrent callers share it.
   * For a cold root field (a list page: the expensive kind), instances also agree through a
   * short Redis lock that one of them computes while the others wait for its entry.
   * Resolves to the caller's value, or (from another instance) to stored data only.
   */
  const compute = (
    key: string,
    checkTags: string[],
    token: FillToken,
    run: () => unknown,
    coordinate: boolean,
  ): Promise<{ value?: unknown } & Partial<Computed>> => {
    let stored: Promise<void> = Promise.resolve();
    let lock: { release(): Promise<void> } | null = null;
    const computation = (async () => {
      lock = coordinate ? await cache.claim(key, LOCK_MS) : null;
      if (coordinate && !lock) {
        const entry = await cache.waitFor(key, checkTags, LOCK_WAIT_MS);
        if (entry) return { data: entry.value, versions: entry.versions };
      }
      // What the resolver reads decides which versions the result is stored with (see fill).
      const { provenance, result } = withProvenance(run);
      const value = await result;
      const versions = agreed(checkTags, cache.versionsAt(token, checkTags), provenance.versions);
      try {
        const data = normalize(value, field.returnType, options.isEntity);
        // Filed under its list tags only: entities are stored as references, so a change to one
        // rewrites its own entry, not every page that shows it (membership and order changes
        // come through the list tags). Whole responses, which hold copies, carry entity tags.
        stored = cache.fill([{ key, value: data, tags: checkTags, lifetime: field.policy, checkTags, versions: provenance.versions }], token);
        return { value, data, versions };
      } catch (error) {
        if (!(error instanceof NotCacheableError)) throw error;
        cacheDebug()?.amend(key, { notStored: `not cacheable: ${error.message}` });
        return { value };
      }
    })();
    computation.catch(() => cacheDebug()?.amend(key, { notStored: 'the resolver failed: errors are never stored' }));
    const shared = computation.then((result) => (result.data === undefined ? undefined : { data: result.data, versions: result.versions }));
    // A failed computation is the caller's error to report; waiters just compute their own.
    shared.catch(() => undefined);
    const done = computation.then(() => stored);
    inflight.register(key, shared, token, checkTags, done);
    const release = () => void lock?.release();
    done.then(release, release);
    return computation;
  };

  const report = (outcome: 'hit' | 'stale' | 'miss', started: number) =>
    cache.observer.resolved?.(field.coordinate, outcome, (performance.now() - started) / 1000);

  return async (parent, rawArgs, context, info) => {
    const request = options.requestOf(context);
    if (!request) return resolve(parent, rawArgs, context, info);
    // Keys, tags and the resolver all see one spelling of what was asked.
    const args = canonicalArgs(rawArgs as Record<string, unknown>, field.args);
    const started = performance.now();
    const userId = field.policy.scope === 'PRIVATE' ? request.userId : undefined;
    // A private field for nobody in particular is never cached: there is no one to key it by.
    if (field.policy.scope === 'PRIVATE' && userId === undefined) {
      cacheDebug()?.note({ source: field.coordinate, key: null, tier: 'bypassed', notStored: 'a PRIVATE field asked without a signed-in user: no one to key it by' });
      return resolve(parent, args, context, info);
    }
    const parentId = field.isRoot ? undefined : ((parent as { id?: string | number } | null)?.id ?? undefined);
    const key = cache.keys.field(field.coordinate, parentId, hashArgs(args), userId);
    const checkTags = upFrontTags(field, parentId, args);
    const { entry, token } = await request.lookup({ key, source: field.coordinate, checkTags });
    if (entry) touchTags(entry.tags, entry.versions);
    else touchTags(checkTags, cache.versionsAt(token, checkTags));
    const run = () => resolve(parent, args, context, info);
    if (entry) {
      const now = Date.now();
      // Stale (within its window) or near expiry: serve it, and let one caller refresh it.
      if ((entry.freshUntil <= now || refreshEarly(entry.freshUntil, field.policy.ttl, now)) && !inflight.joinable(key)) {
        cache.track(compute(key, checkTags, token, run, false)).catch(() => undefined);
      }
      const value = await denormalize(entry.value, field.returnType, request.loadEntity);
      if (value !== undefined) {
        report(entry.freshUntil > now ? 'hit' : 'stale', started);
        return value;
      }
    }
    const landed = cache.peek(key);
    if (landed) {
      const value = await denormalize(landed.value, field.returnType, request.loadEntity);
      if (value !== undefined) {
        touchTags(landed.tags, landed.versions);
        cacheDebug()?.amend(key, { tier: 'L1', tags: [...landed.tags], ttlLeftSeconds: (landed.freshUntil - Date.now()) / 1000 });
        return value;
      }
    }
    const shared = inflight.joinable(key);
    if (shared) {
      const computed = await shared.catch(() => undefined);
      const value = computed === undefined ? undefined : await denormalize(computed.data, field.returnType, request.loadEntity);
      if (value !== undefined) {
        touchTags(checkTags, computed!.versions);
        cacheDebug()?.amend(key, { tier: 'shared' });
        return value;
      }
    }
    // A computation overtaken by a write may still hold the instances' lock: waiting for it
    // would only delay this one.
    const result = await compute(key, checkTags, token, run, field.isRoot && !inflight.has(key));
    report('miss', started);
    if ('value' in result) return result.value;
    // Computed by another instance: rebuild it here, or compute after all if it will not do.
    cacheDebug()?.amend(key, { tier: 'Redis', stored: 'by another instance, which held the lock while this one waited' });
    return (await denormalize(result.data, field.returnType, request.loadEntity)) ?? run();
  };
}

/** What the wrapper needs to know of a `@cached` field; undefined for a field without policy. */
function wrappedField(
  schema: GraphQLSchema,
  policies: PolicyMap,
  typeName: string,
  fieldName: string,
  config: Pick<GraphQLFieldConfig<unknown, unknown>, 'type' | 'args'>,
): WrappedField | undefined {
  const coordinate = `${typeName}.${fieldName}`;
  const policy = policies.fields.get(coordinate);
  if (!policy) return undefined;
  if (typeName === schema.getMutationType()?.name || typeName === schema.getSubscriptionType()?.name) {
    throw new Error(`@cached on ${coordinate}: only query fields can be cached.`);
  }
  const args = Object.entries(config.args ?? {}).map(([name, arg]) => ({ name, type: arg.type }));
  return {
    coordinate,
    policy,
    isRoot: typeName === schema.getQueryType()?.name,
    parentType: typeName,
    fieldName,
    returnType: config.type,
    listType: listItemType(config.type),
    args,
    idArgs: idArgumentPaths(args),
  };
}

/** Returns the schema with every `@cached` field's resolver wrapped; other fields untouched. */
export function applyFieldCache(schema: GraphQLSchema, options: FieldCacheOptions): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const field = wrappedField(schema, options.policies, typeName, fieldName, fieldConfig);
      return field ? { ...fieldConfig, resolve: wrap(field, fieldConfig.resolve ?? defaultFieldResolver, options) } : fieldConfig;
    },
  });
}

/** Any value of an input type, for `tagShapesRead`: every scalar a wildcard. */
function wildcard(type: GraphQLInputType): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return [wildcard(nullable.ofType)];
  if (isInputObjectType(nullable)) return Object.fromEntries(Object.entries(nullable.getFields()).map(([name, f]) => [name, wildcard(f.type)]));
  return '*';
}

/**
 * The shapes of the tags cached fields are filed under (`*` for any value): their automatic
 * tags and their directive's templates, with every argument and parent id given. What writes
 * invalidate is checked against these at start (see modules/tag-coverage.ts).
 */
export function tagShapesRead(schema: GraphQLSchema, policies: PolicyMap): { automatic: string[]; templates: string[] } {
  const automatic = new Set<string>();
  const templates = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const [name, config] of Object.entries(type.getFields())) {
      const field = wrappedField(schema, policies, type.name, name, { type: config.type, args: Object.fromEntries(config.args.map((a) => [a.name, a])) });
      if (!field) continue;
      const args = Object.fromEntries(field.args.map((arg) => [arg.name, wildcard(arg.type)]));
      const parentId = field.isRoot ? undefined : '*';
      const fromTemplates = field.policy.tags.map((template) => expandTag(template, parentId, args)).filter((tag): tag is string => tag !== null);
      for (const tag of fromTemplates) templates.add(tag);
      for (const tag of upFrontTags(field, parentId, args)) if (!fromTemplates.includes(tag)) automatic.add(tag);
    }
  }
  return { automatic: [...automatic], templates: [...templates] };
}
