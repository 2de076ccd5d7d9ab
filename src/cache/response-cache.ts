/**
 * The whole-response tier. When every field an operation selects has a policy, its response is
 * cached too: under a hash of the document, operation name and variables (and the user, if any
 * field is PRIVATE), for the smallest TTL among its fields, filed under the tags of everything
 * it was built from. A hit skips execution. For requests without credentials, a hit is served
 * before Apollo even parses the document, as the ready bytes stored in this instance's L1.
 *
 * Unlike whole-response caches that stand alone, a miss here still finds its entities and
 * fields in the lower tiers, so after a write only what changed is recomputed.
 */
import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import {
  getNamedType,
  isObjectType,
  Kind,
  parse,
  print,
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { cacheDebug } from './cache-debug';
import {
  etagOf,
  etagOfEntry,
  httpCacheHeaders,
  ifNoneMatchHits,
  JSON_TYPE,
  NOT_STORABLE,
  responseType,
  type HttpCachingOptions,
} from './http-caching';
import { stableStringify } from './keys';
import type { CachePolicy, PolicyMap } from './policy';
import { currentRequestScope } from './request-scope';
import { ANY_TAG } from './store';
import type { CacheEntry, Lookup, TwoTierCache } from './two-tier-cache';

/** Where `storedAnswer` leaves a missed lookup on the request, for the Express path. */
const PRIOR_LOOKUP = Symbol('responseLookup');

/** A request asking for `extensions.cacheDebug` (see cache-debug.ts) is always executed. */
export const CACHE_DEBUG_HEADER = 'x-cache-debug';

export interface OperationPolicy {
  cacheable: boolean;
  /** Smallest TTL among the selected fields. */
  ttl: number;
  /** Some field is PRIVATE: one entry per user, none for anonymous requests. */
  private: boolean;
}

const NOT_CACHEABLE: OperationPolicy = { cacheable: false, ttl: 0, private: false };

/** An operation's policy, with the key of its parsed document (see `policyFor`). */
interface DocumentPolicy extends OperationPolicy {
  documentKey: string;
}

/**
 * Decides, once per document, whether an operation's response may be cached: a query whose
 * every selected field (through fragments) has a policy of its own, of its parent type, or of
 * the entity type it returns. Introspection is never cached here.
 */
export function operationPolicy(schema: GraphQLSchema, policies: PolicyMap, document: DocumentNode, operationName?: string | null): OperationPolicy {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || operation.operation !== 'query') return NOT_CACHEABLE;
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  let ttl = Number.POSITIVE_INFINITY;
  let isPrivate = false;
  // `inherited`: the policy of the field that returned this object, which plumbing types
  // without a policy of their own (connections, edges, PageInfo) answer under.
  const visit = (selectionSet: SelectionSetNode, type: GraphQLObjectType, seen: Set<string>, inherited?: CachePolicy): boolean => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const fragmentType = schema.getType(fragment.typeCondition.name.value);
        if (!isObjectType(fragmentType) || !visit(fragment.selectionSet, fragmentType, new Set([...seen, fragment.name.value]), inherited)) return false;
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inlineType = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (!isObjectType(inlineType) || !visit(selection.selectionSet, inlineType, seen, inherited)) return false;
        continue;
      }
      const name = selection.name.value;
      if (name === '__typename') continue;
      const field = type.getFields()[name];
      if (!field) return false;
      const returned = getNamedType(field.type);
      const policy = policies.policyOf(type.name, name) ?? policies.types.get(returned.name) ?? inherited;
      if (!policy) return false;
      ttl = Math.min(ttl, policy.ttl);
      if (policy.scope === 'PRIVATE') isPrivate = true;
      if (selection.selectionSet) {
        if (!isObjectType(returned) || !visit(selection.selectionSet, returned, seen, policy)) return false;
      }
    }
    return true;
  };
  const root = schema.getQueryType();
  if (!root || !visit(operation.selectionSet, root, new Set())) return NOT_CACHEABLE;
  return { cacheable: Number.isFinite(ttl), ttl, private: isPrivate };
}

export interface ResponseCacheOptions {
  cache: TwoTierCache;
  schema: GraphQLSchema;
  policies: PolicyMap;
  /** Default 1000. Documents whose policy is remembered. */
  maxDocuments?: number;
  /** What GET answers tell browsers and CDNs (see `http-caching.ts`). */
  http?: HttpCachingOptions;
  /**
   * Whether a request carries credentials (so its answer may depend on who asks): such
   * requests never take the anonymous fast path, and HTTP caches are told `private`.
   */
  hasCredentials: (headers: Readonly<Record<string, string | string[] | undefined>>) => boolean;
}

interface RequestShape {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

export function createResponseCache(options: ResponseCacheOptions) {
  const { cache, schema, policies, hasCredentials } = options;
  const http = options.http ?? {};
  const byDocument = new LRUCache<string, DocumentPolicy>({ max: options.maxDocuments ?? 1000 });

  /**
   * The policy of an operation, and its `documentKey`: a hash of the parsed document as graphql
   * prints it and the operation name, so texts that differ only in spacing, commas or comments
   * share one response entry. Both are worked out once per text.
   */
  const policyFor = (query: string, operationName: string | undefined): DocumentPolicy => {
    const memo = `${operationName ?? ''}\n${query}`;
    let found = byDocument.get(memo);
    if (!found) {
      try {
        const document = parse(query);
        const documentKey = createHash('sha1').update(print(document)).update('\0').update(operationName ?? '').digest('hex');
        found = { ...operationPolicy(schema, policies, document, operationName), documentKey };
      } catch {
        found = { ...NOT_CACHEABLE, documentKey: '' };
      }
      byDocument.set(memo, found);
    }
    return found;
  };

  const keyFor = (policy: DocumentPolicy, variables: unknown, userId: number | undefined): string => {
    const digest = createHash('sha1').update(policy.documentKey).update('\0').update(stableStringify(variables ?? {})).digest('hex');
    return cache.keys.response(digest, userId);
  };

  /**
   * Anonymous misses being computed in this process, by response key. A request that misses
   * while the same response is under way waits for it instead of executing it again (a page
   * dropped by a write is asked for by many at once). It is handed only a response that is still
   * current (`TwoTierCache.isCurrent`), the test a fill passes; otherwise it executes itself.
   */
  const computing = new Map<string, Promise<string | undefined>>();

  /** Registers this request as computing `key`; returns what to call with its response. */
  const startComputing = (key: string, res: Response): ((json: string | undefined) => void) => {
    let resolve!: (json: string | undefined) => void;
    const shared = new Promise<string | undefined>((r) => (resolve = r));
    computing.set(key, shared);
    let done = false;
    const share = (json: string | undefined) => {
      if (done) return;
      done = true;
      if (computing.get(key) === shared) computing.delete(key);
      resolve(json);
    };
    // Errors, aborted requests, anything that never reaches willSendResponse: nobody waits forever.
    res.once('close', () => share(undefined));
    return share;
  };

  /**
   * The policy of an anonymous request the stored bytes may answer, or undefined: one with
   * credentials, asking for the debugger or for another media type, or not cacheable publicly.
   */
  const anonymousPolicy = (body: RequestShape | undefined, headers: IncomingHttpHeaders): DocumentPolicy | undefined => {
    if (
      typeof body?.query !== 'string' ||
      hasCredentials(headers) ||
      headers[CACHE_DEBUG_HEADER] ||
      // Stored answers go out as application/json; other types are Apollo's to give.
      responseType(headers.accept) !== JSON_TYPE
    ) {
      return undefined;
    }
    const policy = policyFor(body.query, typeof body.operationName === 'string' ? body.operationName : undefined);
    return policy.cacheable && !policy.private ? policy : undefined;
  };

  /** The key of an anonymous request's stored answer, if it may have one. */
  const anonymousKey = (req: IncomingMessage, body: unknown): string | undefined => {
    const shape = body as RequestShape | undefined;
    const policy = anonymousPolicy(shape, req.headers);
    return policy && keyFor(policy, shape!.variables, undefined);
  };

  /**
   * The stored answer to an anonymous POST (`body`, parsed) if this instance's L1 holds it:
   * nothing awaited, so it can be given before Express sees the request (server/front-door.ts).
   */
  const storedInL1 = (req: IncomingMessage, body: unknown): string | undefined => {
    const key = anonymousKey(req, body);
    const value = key === undefined ? undefined : cache.hitInL1('response', key)?.value;
    return typeof value === 'string' ? value : undefined;
  };

  /**
   * The stored answer to an anonymous POST from Redis, when L1 had none. On a miss the lookup
   * stays on `req`, so the Express path below does not repeat it.
   */
  const storedInRedis = async (req: IncomingMessage, body: unknown): Promise<string | undefined> => {
    const key = anonymousKey(req, body);
    if (key === undefined) return undefined;
    const lookup = await cache.lookup('response', [key], [ANY_TAG]);
    const value = lookup.entries[0]?.value;
    if (typeof value === 'string') return value;
    (req as IncomingMessage & { [PRIOR_LOOKUP]?: { key: string; lookup: Lookup } })[PRIOR_LOOKUP] = { key, lookup };
    return undefined;
  };

  /** Express: answers anonymous requests for cached public responses with the stored bytes. */
  const fastPath: RequestHandler = async (req, res, next) => {
    const body = requestShapeOf(req);
    const policy = anonymousPolicy(body, req.headers);
    if (!body || !policy) return next();
    try {
      const key = keyFor(policy, body.variables, undefined);
      const prior = (req as Request & { [PRIOR_LOOKUP]?: { key: string; lookup: Lookup } })[PRIOR_LOOKUP];
      const { entries, token } = prior?.key === key ? prior.lookup : await cache.lookup('response', [key], [ANY_TAG]);
      // A computation that finished while our lookup was on its way to Redis left its answer
      // in L1, or is still registered: either way, no second computation.
      const entry = entries[0] ?? cache.peek(key);
      const isGet = req.method === 'GET';
      if (typeof entry?.value === 'string') {
        if (!isGet) return sendJson(res, entry.value);
        const headers = httpCacheHeaders(answerOf(entry, false, policy), etagOfEntry(entry), http);
        return sendJson(res, entry.value, headers, ifNoneMatchHits(req.headers['if-none-match'], etagOfEntry(entry)));
      }
      const underWay = computing.get(key);
      if (underWay) {
        const json = await underWay;
        // Handed over without its entry: a GET computes its own, to say what it has left.
        if (json !== undefined && !isGet) return sendJson(res, json);
        return next();
      }
      // Apollo takes it from here; the plugin reuses this lookup instead of repeating it.
      const scope = currentRequestScope();
      if (scope) scope.responseLookup = { key, token, share: startComputing(key, res) };
      return next();
    } catch {
      next();
    }
  };

  /**
   * Apollo: serves hits for requests with credentials, and stores cacheable responses.
   * `userIdOf`: the signed-in user a request's context names, for PRIVATE answers.
   */
  const plugin = <TContext extends object>(userIdOf: (context: TContext) => number | undefined): ApolloServerPlugin<TContext> => ({
    async requestDidStart({ request, contextValue }) {
      const isGet = request.http?.method === 'GET';
      /** What a GET answer that no HTTP cache may keep says (no hint would leave it to heuristics). */
      const notStorable = {
        async willSendResponse({ response }: { response: { http: { headers: Map<string, string> } } }) {
          if (isGet) for (const [name, value] of NOT_STORABLE) response.http.headers.set(name, value);
        },
      };
      if (typeof request.query !== 'string') return notStorable;
      const policy = policyFor(request.query, request.operationName ?? undefined);
      if (!policy.cacheable) return notStorable;
      const credentialed = request.http ? hasCredentials(Object.fromEntries(request.http.headers)) : false;
      const userId = policy.private ? userIdOf(contextValue) : undefined;
      const key = keyFor(policy, request.variables, userId);
      let token: Awaited<ReturnType<TwoTierCache['lookup']>>['token'] | undefined;
      let hit: CacheEntry | undefined;
      return {
        async responseForOperation() {
          // A private answer for nobody in particular is not cached: there is no one to key it by.
          if (policy.private && userId === undefined) {
            cacheDebug()?.note({ source: 'response', key: null, tier: 'bypassed', notStored: 'selects a PRIVATE field without a signed-in user: no one to key it by' });
            return null;
          }
          const earlier = currentRequestScope()?.responseLookup;
          if (earlier?.key === key) {
            token = earlier.token;
            return null;
          }
          const lookup = await cache.lookup('response', [key], [ANY_TAG]);
          token = lookup.token;
          const entry = lookup.entries[0];
          if (typeof entry?.value !== 'string') return null;
          hit = entry;
          return { http: { status: 200, headers: new Map() } as never, body: { kind: 'single', singleResult: JSON.parse(entry.value) } };
        },
        async willSendResponse({ response }) {
          // Requests waiting for this one are handed the answer below; on every early return
          // they are released when the response closes (see startComputing) and compute their own.
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          // Only complete answers are worth repeating, by us or by anyone else.
          if (errors?.length || data == null) {
            cacheDebug()?.amend(key, { notStored: 'the answer has errors: only complete answers are stored' });
            return notStorable.willSendResponse({ response });
          }
          const scope = currentRequestScope();
          /**
           * Express would answer 304 itself, but not to a request that says `Cache-Control:
           * no-cache` (as fetch() adds to every conditional request), which addresses caches on
           * the way, not the origin: the fast path and this one answer alike.
           */
          const validated = (etag: string, headers: [string, string][]) => {
            setHeaders(response.http.headers, headers);
            if (ifNoneMatchHits(request.http?.headers.get('if-none-match'), etag)) response.http.status = 304;
          };
          if (hit) {
            if (isGet) validated(etagOfEntry(hit), httpCacheHeaders(answerOf(hit, credentialed, policy), etagOfEntry(hit), http));
            return;
          }
          const json = JSON.stringify({ data });
          if (isGet) {
            const answer = { credentialed, private: policy.private, remainingSeconds: policy.ttl, tags: scope?.tags ?? [] };
            const etag = etagOf(json);
            validated(etag, httpCacheHeaders(answer, etag, http));
          }
          if (!token || !scope) return;
          const fill = {
            key,
            value: json,
            tags: [...scope.tags],
            lifetime: { ttl: policy.ttl, staleWhileRevalidate: 0 },
            // Its tags are known only now: refused if any was invalidated here after the lookup,
            // and stored in Redis with the versions its parts were checked against.
            checkTags: [],
            touchedTags: [...scope.tags],
            versions: new Map(scope.versions),
          };
          scope.responseLookup?.share?.(cache.isCurrent(token, fill) ? fill.value : undefined);
          // Not awaited: the answer leaves now; the entry follows in the background.
          void cache.fill([fill], token);
        },
      };
    },
  });

  return { fastPath, storedInL1, storedInRedis, plugin, policyFor };
}

/**
 * Stored bytes as they are: no re-encoding, none of Express's send() bookkeeping. `notModified`:
 * the client's copy is current, so only the headers go (RFC 9110: a 304 repeats the validators
 * and caching headers a 200 would have).
 */
function sendJson(res: Response, json: string, headers: [string, string][] = [], notModified = false): void {
  if (notModified) {
    res.writeHead(304, Object.fromEntries(headers));
    res.end();
    return;
  }
  res.writeHead(200, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(json),
    ...Object.fromEntries(headers),
  });
  res.end(json);
}

function setHeaders(target: Map<string, string>, headers: [string, string][]): void {
  for (const [name, value] of headers) target.set(name, value);
}

/** An answer served from `entry`, as HTTP caches see it. */
function answerOf(entry: CacheEntry, credentialed: boolean, policy: OperationPolicy) {
  return { credentialed, private: policy.private, remainingSeconds: (entry.freshUntil - Date.now()) / 1000, tags: entry.tags };
}


/**
 * The operation a request carries: a POST's JSON body, or a GET's parameters (`variables` as
 * JSON, as Apollo reads them). GETs must pass Apollo's CSRF rule (a header no simple request
 * carries), else Apollo refuses them, and so must this path. Undefined: not ours to answer.
 */
function requestShapeOf(req: Request): RequestShape | undefined {
  if (req.method === 'POST') return req.body as RequestShape | undefined;
  if (req.method !== 'GET' || !(req.headers['apollo-require-preflight'] || req.headers['x-apollo-operation-name'])) return undefined;
  const { query, operationName, variables } = req.query as Record<string, unknown>;
  if (typeof variables !== 'string') return variables === undefined ? { query, operationName } : undefined;
  try {
    return { query, operationName, variables: JSON.parse(variables) as unknown };
  } catch {
    return undefined;
  }
}


