/**
 * The query limits' arithmetic, without a server: the cost rule multiplies list sizes through
 * (`first`, schema defaults, operation defaults, list arguments), and every workload document
 * passes every default limit, so turning the limits on refuses no real client.
 */
import { parse, validate, type OperationDefinitionNode } from 'graphql';
import { loadConfig } from '../../src/config';
import { buildStorefrontSchema } from '../../src/modules';
import { createQueryLimits, operationCost } from '../../src/server/query-limits';
import { BENCH_DOCUMENTS, benchDocument } from '../helpers/documents';

const schema = buildStorefrontSchema();
const defaults = loadConfig({}).security.queryLimits;

function cost(document: string, variables: Record<string, unknown> = {}, assumed = defaults.assumedListSize): number {
  const parsed = parse(document);
  const operation = parsed.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  return operationCost(schema, parsed, operation, variables, assumed);
}

describe('the cost of an operation', () => {
  it('counts each object once, multiplied by the `first` of every list above it', () => {
    // products: 1 connection; 10 edges, 10 nodes; each node's reviews: 1 connection (10), then 10 x 5 edges and nodes.
    expect(cost('{ products(first: 10) { edges { node { id reviews(first: 5) { edges { node { id } } } } } } }')).toBe(1 + 10 + 10 + 10 + 50 + 50);
  });

  it('scalars are free; nested pages multiply', () => {
    const nested = (n: number) => `{ products(first: ${n}) { edges { node { reviews(first: ${n}) { edges { node { product { reviews(first: ${n}) { edges { node { id } } } } } } } } } } }`;
    expect(cost(nested(2))).toBe(1 + 2 + 2 + 2 + 4 + 4 + 4 + 4 + 8 + 8);
    expect(cost(nested(100))).toBeGreaterThan(1_000_000);
  });

  it('takes `first` from variables, then the operation\'s default, then the schema\'s', () => {
    const query = 'query ($n: Int = 7) { products(first: $n) { edges { node { id } } } }';
    expect(cost(query, { n: 40 })).toBe(1 + 40 + 40);
    expect(cost(query)).toBe(1 + 7 + 7);
    // products' schema default is 20.
    expect(cost('{ products { edges { node { id } } } }')).toBe(1 + 20 + 20);
  });

  it('a list argument counts its length; a plain list the assumed size', () => {
    expect(cost('query ($ids: [ID!]!) { nodes(ids: $ids) { nodeId } }', { ids: ['a', 'b', 'c'] })).toBe(3);
    expect(cost('{ categories { id } }', {}, 10)).toBe(10);
  });

  it('follows fragments and inline fragments', () => {
    expect(cost('{ products(first: 3) { ...P } } fragment P on ProductConnection { edges { node { ... on Product { category { id } } } } }')).toBe(1 + 3 + 3 + 3);
  });
});

describe('every workload document passes the default limits', () => {
  const limits = createQueryLimits(defaults, { production: true });

  it.each(BENCH_DOCUMENTS)('%s', (name) => {
    const text = benchDocument(name);
    const document = parse(text, limits.parseOptions);
    // Only the limits' rules: the subscriptions' fields are another branch's schema.
    expect(validate(schema, document, limits.validationRules)).toEqual([]);
    expect(cost(text, { first: 50 })).toBeLessThanOrEqual(defaults.cost);
  });

  it('the catalog page, the costliest, is far below the cost limit', () => {
    expect(cost(benchDocument('catalog'))).toBe(652);
  });
});
