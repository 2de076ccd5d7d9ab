import { buildSchema, type GraphQLObjectType } from 'graphql';
import { canonicalArgs } from '../../src/cache/canonical-args';

const schema = buildSchema(`
  input Filter { categoryId: ID, search: String, tags: [String], min: Int }
  type Query { list(first: Int = 20, after: String, ids: [ID], filter: Filter): [String] }
`);
const args = (schema.getQueryType() as GraphQLObjectType).getFields().list!.args;

describe('canonicalArgs', () => {
  it('drops nulls, absences and empty inputs, keeps defaults and zeros', () => {
    expect(canonicalArgs({ first: 20, after: null, filter: {} }, args)).toEqual({ first: 20 });
    expect(canonicalArgs({ first: 0, filter: { search: null, min: 0 } }, args)).toEqual({ first: 0, filter: { min: 0 } });
  });

  it('spells ids of digits without leading zeros, and leaves other ids alone', () => {
    expect(canonicalArgs({ filter: { categoryId: '007' }, ids: ['01', '0', '00', 'UHJvZHVjdDox'] }, args)).toEqual({
      filter: { categoryId: '7' },
      ids: ['1', '0', '0', 'UHJvZHVjdDox'],
    });
  });

  it('trims text, and keeps nulls inside lists as elements', () => {
    expect(canonicalArgs({ after: ' abc ', filter: { search: '  lamp ', tags: [' a', null] } }, args)).toEqual({
      after: 'abc',
      filter: { search: 'lamp', tags: ['a', null] },
    });
  });

  it('gives the same result for the same meaning whatever the key order', () => {
    const a = canonicalArgs({ filter: { search: 'x', categoryId: '1' }, first: 5 }, args);
    const b = canonicalArgs({ first: 5, filter: { categoryId: '01', search: 'x ' } }, args);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});
