/**
 * Limits on what one GraphQL document may ask, checked before anything executes, each refusal
 * naming the limit and its value (`QUERY_TOO_COMPLEX`, HTTP 400):
 *
 * - depth, aliases, directives: graphql-armor's validation rules (run once per distinct
 *   document: Apollo keeps validated documents), reporting our error instead of theirs;
 * - tokens: graphql's own parser limit (`maxTokens`), so a huge document is never even built;
 * - cost: our rule, since armor's cost limit does not multiply by list sizes. It needs the
 *   variables (`first: $n`), so it runs per request once the operation is known: each object
 *   the operation would resolve counts 1, and every list multiplies what is below it by its size
 *   (`first`, else the argument's schema default; a list argument's length, as `nodes(ids:)`;
 *   else `assumedListSize`). A connection's `edges` are the page `first` already counted.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import type { QueryLimitConfig } from '../config';
import { ErrorCode, QueryTooComplexError } from '../errors';

export interface QueryLimits {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
  parseOptions: { maxTokens?: number };
}

const ADVICE: Record<string, string> = {
  depth: 'Ask for fewer nested levels, or split the query.',
  aliases: 'Use fewer aliases, or split the query.',
  directives: 'Use fewer directives.',
  tokens: 'Send a shorter document, or split the query.',
  cost: 'Ask for smaller pages (`first`) or fewer nested lists, or split the query.',
};

export function queryTooComplex(limit: keyof typeof ADVICE & string, max: number, found: number | undefined): QueryTooComplexError {
  return new QueryTooComplexError(limit, max, found, ADVICE[limit] ?? '');
}

/** Armor's rule reports through this: our error, with the number armor found. */
function reportAs(limit: string, max: number) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const found = /found (\d+)/.exec(error.message);
    context?.reportError(queryTooComplex(limit, max, found ? Number(found[1]) : undefined));
  };
}

export function createQueryLimits(limits: QueryLimitConfig, options: { production: boolean }): QueryLimits {
  const armed = (limit: string, n: number) =>
    n > 0 ? { enabled: true, n, onReject: [reportAs(limit, n)], propagateOnRejection: false } : { enabled: false };
  const armor = new ApolloArmor({
    maxDepth: { ...armed('depth', limits.depth), ignoreIntrospection: true },
    // Every alias counts: 10,000 aliased `__typename`s are still a 10,000-entry answer.
    maxAliases: { ...armed('aliases', limits.aliases), allowList: [] },
    maxDirectives: armed('directives', limits.directives),
    // Tokens: graphql's parser limit (below). Cost: ours, multiplied by list sizes.
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    // "Did you mean" lists fields introspection would otherwise hide.
    blockFieldSuggestion: { enabled: options.production },
  }).protect();
  return {
    validationRules: armor.validationRules,
    plugins: [...armor.plugins, ...(limits.cost > 0 ? [costLimitPlugin(limits)] : [])],
    parseOptions: limits.tokens > 0 ? { maxTokens: limits.tokens } : {},
  };
}

function costLimitPlugin(limits: QueryLimitConfig): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = operationCost(schema, document, operation, request.variables ?? {}, limits.assumedListSize);
          if (cost > limits.cost) throw queryTooComplex('cost', limits.cost, cost);
        },
      };
    },
  };
}

/** The objects `operation` would resolve at most, lists multiplied through (see the file's comment). */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  assumedListSize: number,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  // With the operation's own defaults (`$first: Int = 50`), as execution will see them.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  const values = coerced.coerced ?? variables;

  /** `page`: the `first` of the field above, the size of its list children (`edges`, `nodes`). */
  const walk = (set: SelectionSetNode | undefined, parent: GraphQLCompositeType, multiplier: number, page: number | undefined, spreads: readonly string[]): number => {
    if (!set) return 0;
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) total += walk(selection.selectionSet, type, multiplier, page, spreads);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A cycle is refused by validation; never followed here.
        if (!fragment || spreads.includes(name)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type && isCompositeType(type)) total += walk(fragment.selectionSet, type, multiplier, page, [...spreads, name]);
        continue;
      }
      if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
      const field = parent.getFields()[selection.name.value];
      if (!field) continue;
      const type = getNamedType(field.type);
      if (!isCompositeType(type)) continue;
      let args: Record<string, unknown> = {};
      try {
        args = getArgumentValues(field, selection, values);
      } catch {
        // Bad variables are refused when the operation runs; count the defaults here.
      }
      if (field.args.some((arg) => arg.name === 'first')) {
        const first = typeof args.first === 'number' ? Math.max(0, args.first) : assumedListSize;
        total += multiplier + walk(selection.selectionSet, type, multiplier, first, spreads);
      } else if (isListType(getNullableType(field.type))) {
        const size = page ?? listArgumentLength(args) ?? assumedListSize;
        total += multiplier * size + walk(selection.selectionSet, type, multiplier * size, undefined, spreads);
      } else {
        total += multiplier + walk(selection.selectionSet, type, multiplier, undefined, spreads);
      }
    }
    return total;
  };
  return walk(operation.selectionSet, root, 1, undefined, []);
}

/** The length of the first list argument (`nodes(ids: [...])` answers one object per id). */
function listArgumentLength(args: Record<string, unknown>): number | undefined {
  for (const value of Object.values(args)) if (Array.isArray(value)) return value.length;
  return undefined;
}

/**
 * Apollo labels every validation error GRAPHQL_VALIDATION_FAILED and the parser's token limit
 * GRAPHQL_PARSE_FAILED; a query limit's refusal keeps QUERY_TOO_COMPLEX and names the limit.
 * Runs before the error formatter.
 */
export function relabelQueryLimitErrors(maxTokens: number) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? error.originalError : undefined;
    if (original instanceof QueryTooComplexError) {
      return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.QueryTooComplex } };
    }
    if (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' && /Document contains more th(?:an|at) \d+ tokens/.test(formatted.message)) {
      const refusal = queryTooComplex('tokens', maxTokens, undefined);
      const { http: _http, ...extensions } = refusal.extensions;
      return { message: refusal.message, locations: formatted.locations, extensions: { ...formatted.extensions, ...extensions } };
    }
    return formatted;
  };
}
