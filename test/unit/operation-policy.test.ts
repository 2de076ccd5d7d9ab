import { parse } from 'graphql';
import { readPolicyMap } from '../../src/cache/policy';
import { operationPolicy } from '../../src/cache/response-cache';
import { buildStorefrontSchema } from '../../src/modules';
import { benchDocument } from '../helpers/documents';

const schema = buildStorefrontSchema();
const policies = readPolicyMap(schema);
const policyOf = (document: string, operationName?: string) => operationPolicy(schema, policies, parse(document), operationName);

describe('which whole responses may be cached', () => {
  it('the catalog: public, for its shortest-lived field (the products page, 60 s)', () => {
    expect(policyOf(benchDocument('catalog'))).toEqual({ cacheable: true, ttl: 60, private: false });
  });

  it('the product page: public, 300 s (its product and reviews)', () => {
    expect(policyOf(benchDocument('product-page'))).toEqual({ cacheable: true, ttl: 300, private: false });
  });

  it('me: private, so one entry per user', () => {
    expect(policyOf(benchDocument('me'))).toEqual({ cacheable: true, ttl: 60, private: true });
  });

  it('never a mutation or a subscription', () => {
    expect(policyOf(benchDocument('update-price')).cacheable).toBe(false);
    expect(policyOf(benchDocument('login')).cacheable).toBe(false);
    expect(policyOf('subscription { x }').cacheable).toBe(false);
  });

  it('never introspection, and fragments are followed', () => {
    expect(policyOf('{ __schema { queryType { name } } }').cacheable).toBe(false);
    expect(policyOf('query Q { product(id: 1) { ...F } } fragment F on Product { name category { name } }', 'Q')).toEqual({
      cacheable: true,
      ttl: 300,
      private: false,
    });
    expect(policyOf('query A { categories { name } } query B { me { id } }', 'B').private).toBe(true);
  });
});
