/**
 * What Relay asks of a server, checked on the schema: graphql-schema-linter's Relay rules (it
 * has rules for connections, their arguments and PageInfo, none for nodes), then the Global
 * Object Identification spec by hand, and how the whole-response tier treats `node`: never
 * cached, since what it answers depends on who asks.
 */
import path from 'node:path';
import { isInterfaceType, parse, type GraphQLField } from 'graphql';
import { configuration, validator, type InputSchema } from 'graphql-schema-linter';
import { loadSchema } from 'graphql-schema-linter/lib/schema.js';
import { readPolicyMap } from '../../src/cache/policy';
import { operationPolicy } from '../../src/cache/response-cache';
import { buildStorefrontSchema, SCHEMA_DIR } from '../../src/modules';
import { fromGlobalId, toGlobalId } from '../../src/modules/common/global-id';
import { ENTITY_TYPES } from '../../src/modules/loaders';

const RELAY_RULES = ['RelayConnectionArgumentsSpec', 'RelayConnectionTypesSpec', 'RelayPageInfoSpec'];

async function lintRelay(input: InputSchema): Promise<string[]> {
  const config = new configuration.Configuration(input, {});
  // Every Relay rule the installed linter has, so a node rule added in a later version runs too.
  const rules = config.getAllBuiltInRules().filter((rule) => rule.name.startsWith('Relay'));
  expect(rules.map((rule) => rule.name)).toEqual(expect.arrayContaining(RELAY_RULES));
  return validator.validateSchemaDefinition(input, rules, config).map((error) => `${error.ruleName}: ${error.message}`);
}

describe("graphql-schema-linter's Relay rules", () => {
  it('find nothing wrong with the schema', async () => {
    const input = await loadSchema({ schemaPaths: [path.join(SCHEMA_DIR, '*.graphql')] });
    expect(input).not.toBeNull();
    expect(await lintRelay(input!)).toEqual([]);
  });

  it('do run: a PageInfo without hasPreviousPage fails them', async () => {
    const definition = 'type Query { a: Int }\ntype PageInfo { hasNextPage: Boolean! endCursor: String }';
    expect(await lintRelay({ definition, sourceMap: null })).toEqual([expect.stringMatching(/^relay-page-info-spec: .*hasPreviousPage/)]);
  });
});

describe('Global Object Identification', () => {
  const schema = buildStorefrontSchema();
  const query = schema.getQueryType()!.getFields();
  const typeOf = (field: GraphQLField<unknown, unknown>) => String(field.type);

  it('has a Node interface with one non-null ID field, nodeId (each type keeps its own `id`)', () => {
    const node = schema.getType('Node');
    expect(isInterfaceType(node)).toBe(true);
    if (!isInterfaceType(node)) return;
    expect(Object.values(node.getFields()).map((f) => `${f.name}: ${typeOf(f)}`)).toEqual(['nodeId: ID!']);
  });

  it('every type with an entity loader implements Node, and keeps `id: ID!`', () => {
    const node = schema.getType('Node');
    if (!isInterfaceType(node)) throw new Error('no Node interface');
    expect(schema.getPossibleTypes(node).map((t) => t.name).sort()).toEqual([...ENTITY_TYPES].sort());
    for (const type of schema.getPossibleTypes(node)) {
      expect(String(type.getFields().id!.type)).toBe('ID!');
      expect(String(type.getFields().nodeId!.type)).toBe('ID!');
    }
  });

  it('has node(id: ID!): Node and nodes(ids: [ID!]!): [Node]! on Query', () => {
    expect(typeOf(query.node!)).toBe('Node');
    expect(query.node!.args.map((a) => `${a.name}: ${String(a.type)}`)).toEqual(['id: ID!']);
    expect(typeOf(query.nodes!)).toBe('[Node]!');
    expect(query.nodes!.args.map((a) => `${a.name}: ${String(a.type)}`)).toEqual(['ids: [ID!]!']);
  });

  it('PageInfo has both cursors, nullable as the connection spec has them', () => {
    const pageInfo = schema.getType('PageInfo');
    if (!pageInfo || !('getFields' in pageInfo)) throw new Error('no PageInfo');
    const fields = pageInfo.getFields();
    expect(String(fields.hasPreviousPage!.type)).toBe('Boolean!');
    expect(String(fields.hasNextPage!.type)).toBe('Boolean!');
    expect(String(fields.startCursor!.type)).toBe('String');
    expect(String(fields.endCursor!.type)).toBe('String');
  });
});

describe('nodeIds', () => {
  it('carry the type, so equal ids of different types differ, and read back', () => {
    expect(toGlobalId('Product', 7)).not.toBe(toGlobalId('Category', 7));
    expect(fromGlobalId(toGlobalId('Category', 7), ENTITY_TYPES)).toEqual({ typeName: 'Category', id: 7 });
    expect(toGlobalId('Product', 2_147_483_647)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['a plain id', '7'],
    ['padding', `${toGlobalId('Product', 7)}=`],
    ['standard base64', Buffer.from('Product:7!').toString('base64')],
    ['characters base64url skips', `${toGlobalId('Product', 7)}.`],
    ['a leading zero', Buffer.from('Product:07').toString('base64url')],
    ['an id beyond the column', toGlobalId('Product', 2 ** 31)],
    ['a type without nodes', toGlobalId('OrderItem', 7)],
    ['nothing', ''],
  ])('refuse %s with BAD_USER_INPUT naming the argument', (_case, value) => {
    expect(() => fromGlobalId(value, ENTITY_TYPES, 'ids[3]')).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'ids[3]' }) }),
    );
  });
});

describe('whole responses with nodes', () => {
  const schema = buildStorefrontSchema();
  const policies = readPolicyMap(schema);
  const policyOf = (document: string) => operationPolicy(schema, policies, parse(document));

  it('node and nodes are never cached whole: what they answer depends on who asks', () => {
    expect(policyOf('{ node(id: "x") { nodeId ... on Product { name } } }').cacheable).toBe(false);
    expect(policyOf('{ node(id: "x") { ... on User { name email } } }').cacheable).toBe(false);
    expect(policyOf('{ nodes(ids: ["x"]) { __typename ... on Order { totalCents } } }').cacheable).toBe(false);
    expect(policyOf('query { node(id: "x") { ...F } } fragment F on Review { rating }').cacheable).toBe(false);
  });

  it('nodeId keeps its type policy, so documents that read it stay cacheable', () => {
    expect(policyOf('{ product(id: 1) { nodeId name category { nodeId } } }')).toEqual({ cacheable: true, ttl: 300, private: false });
    expect(policyOf('{ me { nodeId orders { edges { node { nodeId } } pageInfo { hasPreviousPage startCursor } } } }')).toEqual({
      cacheable: true,
      ttl: 60,
      private: true,
    });
  });
});
