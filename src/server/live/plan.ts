/**
 * Turns a `subscribe` message into what the registry runs: parsed, validated, its variables
 * coerced, its root field's topic and filter, and the key under which equal subscriptions
 * share one execution. Every refusal is a list of GraphQL errors with a code, sent back as the
 * protocol's `error` message; the socket and its other subscriptions carry on.
 */
import { createHash } from 'node:crypto';
import {
  GraphQLError,
  Kind,
  TypeInfo,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  parse,
  print,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { PolicyMap } from '../../cache/policy';
import { BadUserInputError, UnauthenticatedError } from '../../errors';
import { EVENT_ID } from '../../events/live-bus';
import type { Viewer } from '../../modules/context';
import { LIVE_FIELDS } from '../../modules/live/live.topics';
import type { LivePlan } from './registry';

/** The argument every subscription field takes to resume; never part of the sharing key. */
const RESUME_ARGUMENT = 'after';

export interface SubscribeRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export type PlanResult = { plan: LivePlan; after: string | undefined } | { errors: readonly GraphQLError[] };

export interface PlannerOptions {
  schema: GraphQLSchema;
  policies: PolicyMap;
  /** Default 2000. Parsed documents kept, by their text, and plans, by their key: clients send the same few. */
  maxDocuments?: number;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` make one key. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The error with `extensions.code`, as HTTP answers the same mistakes. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}

export function createPlanner(options: PlannerOptions) {
  const { schema, policies } = options;
  const subscriptionType = schema.getSubscriptionType();
  /** Parsed and validated documents (or their errors), by query text: bounded, oldest out. */
  const documents = new Map<string, { document: DocumentNode; userScoped: boolean } | readonly GraphQLError[]>();
  const maxDocuments = options.maxDocuments ?? 2000;
  /**
   * Plans by key: every subscriber of one distinct subscription holds the same plan (and its
   * document) for as long as it is subscribed, not a copy each (bounded, oldest out).
   */
  const plans = new Map<string, LivePlan>();

  /** Whether anything the document selects depends on who asks (a PRIVATE field or type). */
  function selectsPrivate(document: DocumentNode): boolean {
    const typeInfo = new TypeInfo(schema);
    let found = false;
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field() {
          const parent = typeInfo.getParentType();
          const field = typeInfo.getFieldDef();
          if (!parent || !field) return;
          const own = policies.policyOf(parent.name, field.name);
          const target = policies.types.get(getNamedType(field.type).name);
          if (own?.scope === 'PRIVATE' || target?.scope === 'PRIVATE') found = true;
        },
      }),
    );
    return found;
  }

  function load(query: string) {
    const known = documents.get(query);
    if (known) return known;
    let entry: { document: DocumentNode; userScoped: boolean } | readonly GraphQLError[];
    try {
      const document = parse(query, { maxTokens: 2000 });
      const errors = validate(schema, document);
      entry = errors.length > 0 ? errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')) : { document, userScoped: selectsPrivate(document) };
    } catch (error) {
      entry = [withCode(error instanceof GraphQLError ? error : new GraphQLError(String(error)), 'GRAPHQL_PARSE_FAILED')];
    }
    if (documents.size >= maxDocuments) documents.delete(documents.keys().next().value!);
    documents.set(query, entry);
    return entry;
  }

  return function plan(request: SubscribeRequest, viewer: Viewer | null): PlanResult {
    if (typeof request.query !== 'string') return { errors: [new GraphQLError('"query" must be a string.', { extensions: { code: 'BAD_REQUEST' } })] };
    const loaded = load(request.query);
    if (Array.isArray(loaded)) return { errors: loaded };
    const { document, userScoped } = loaded as { document: DocumentNode; userScoped: boolean };
    const operationName = request.operationName ?? undefined;
    const operation = getOperationAST(document, operationName);
    if (!operation) {
      return { errors: [new GraphQLError('Name the operation to run (operationName): the document holds several, or none by that name.', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })] };
    }
    if (operation.operation !== 'subscription' || !subscriptionType) {
      return { errors: [new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP (POST /graphql).', { extensions: { code: 'BAD_REQUEST' } })] };
    }
    const root = operation.selectionSet.selections.find((selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value !== '__typename');
    if (!root || operation.selectionSet.selections.length !== 1) {
      return { errors: [new GraphQLError('Select exactly one subscription field, directly (not through a fragment).', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })] };
    }
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
    if (coerced.errors) return { errors: coerced.errors.map((error) => withCode(error, 'BAD_USER_INPUT')) };
    const field = subscriptionType.getFields()[root.name.value]!;
    const spec = LIVE_FIELDS[field.name];
    if (!spec) return { errors: [new GraphQLError(`Subscription.${field.name} is not served yet.`)] };
    if (spec.private && !viewer) {
      return { errors: [new UnauthenticatedError(`Subscription.${field.name} needs a signed-in user: connect with connectionParams.authorization = "Bearer <token>".`)] };
    }
    let args: Record<string, unknown>;
    let topic: string;
    try {
      args = getArgumentValues(field, root, coerced.coerced);
      topic = spec.topic(args, viewer);
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError(String(error))] };
    }
    const after = args[RESUME_ARGUMENT] as string | null | undefined;
    if (after != null && !EVENT_ID.test(after)) {
      return { errors: [new BadUserInputError(`"after" must be an event id as received in extensions.eventId (like "1733040000000-0"); got "${after}".`, { field: 'after' })] };
    }

    // The resume point is the one client's own: the shared execution must not see it.
    const resumeVariables = new Set<string>();
    const shared = visit(document, {
      Argument(node, _key, _parent, _path, ancestors) {
        if (node.name.value !== RESUME_ARGUMENT || ancestors.at(-1) !== root) return undefined;
        if (node.value.kind === Kind.VARIABLE) resumeVariables.add(node.value.name.value);
        return null;
      },
    });
    const variableValues = Object.fromEntries(Object.entries(coerced.coerced).filter(([name]) => !resumeVariables.has(name)));
    const scoped = spec.private || (userScoped && viewer !== null);
    const scope = scoped ? `user:${viewer!.userId}` : 'public';
    const key = `${createHash('sha256').update(print(shared)).update('\u0000').update(operationName ?? '').digest('base64url')}|${canonicalJson(variableValues)}|${scope}`;
    let planned = plans.get(key);
    if (!planned) {
      // The resume point is no part of the key: what `accepts` reads must not be it either.
      const sharedArgs = { ...args, [RESUME_ARGUMENT]: undefined };
      planned = {
        key,
        topic,
        accepts: (event) => spec.accepts(event, sharedArgs),
        document: shared,
        operationName,
        variableValues,
        viewer: scoped ? viewer : null,
        private: scoped,
      };
      if (plans.size >= maxDocuments) plans.delete(plans.keys().next().value!);
      plans.set(key, planned);
    }
    return { after: after ?? undefined, plan: planned };
  };
}
