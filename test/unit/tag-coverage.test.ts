import { buildSchema } from 'graphql';
import { readPolicyMap } from '../../src/cache/policy';
import { buildStorefrontSchema } from '../../src/modules';
import { assertTagCoverage, producedTagExamples, tagCoverage, tagShapesReadBy } from '../../src/modules/tag-coverage';

const storefront = buildStorefrontSchema();
const policies = readPolicyMap(storefront);

describe('cache tag coverage', () => {
  it('holds for the storefront: every template is reachable by a write, every written tag is read', () => {
    expect(tagCoverage(tagShapesReadBy(storefront, policies), producedTagExamples())).toEqual({ unreachable: [], unread: [] });
    expect(() => assertTagCoverage(storefront, policies)).not.toThrow();
  });

  it('reads what the entries are really filed under (a sample of each kind)', () => {
    const { automatic, templates } = tagShapesReadBy(storefront, policies);
    expect(automatic).toEqual(expect.arrayContaining(['Product:*', 'Product:list', 'Category:*:products', 'User:*:orders', 'Session:*', 'User:*:sessions']));
    expect(templates).toEqual(expect.arrayContaining(['Product:list:order:*', 'Product:*:reviews', 'Product:list:price']));
  });

  it('refuses a template no write produces, naming it', () => {
    const sdl = `
      directive @cached(ttl: Int, scope: CacheScope, staleWhileRevalidate: Int, tags: [String!]) on OBJECT | FIELD_DEFINITION
      enum CacheScope { PUBLIC PRIVATE }
      type Query { products(colour: String): [Product!]! @cached(ttl: 60, tags: ["Product:list:colour"]) }
      type Product @cached(ttl: 60) { id: ID! }`;
    const schema = buildSchema(sdl);
    expect(() => assertTagCoverage(schema, readPolicyMap(schema))).toThrow(/@cached tag "Product:list:colour" is produced by no write/);
  });

  it('refuses a tag writes produce that no entry is filed under, naming it', () => {
    expect(() => assertTagCoverage(storefront, policies, [...producedTagExamples(), 'Product:1:colour'])).toThrow(
      /writes invalidate "Product:1:colour", which no cached entry is filed under/,
    );
  });
});
