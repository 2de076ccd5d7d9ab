/**
 * What decides sharing: subscriptions with the same document, variables and scope get the same
 * key whatever the order of their variables or their resume point; different arguments,
 * documents or users do not; private documents are scoped to their user.
 */
import { buildStorefrontSchema } from '../../src/modules';
import { readPolicyMap } from '../../src/cache/policy';
import { createPlanner, type PlanResult } from '../../src/server/live/plan';

const schema = buildStorefrontSchema();
const plan = createPlanner({ schema, policies: readPolicyMap(schema) });
const alice = { userId: 7, role: 'CUSTOMER' as const };
const bob = { userId: 8, role: 'CUSTOMER' as const };
const WATCH = 'subscription ($id: ID!, $after: String) { productUpdated(id: $id, after: $after) { id priceCents } }';

function keyOf(result: PlanResult): string {
  if ('errors' in result) throw new Error(result.errors.map((error) => error.message).join('; '));
  return result.plan.key;
}

it('ignores the order of variables and the resume point, and who asks for public data', () => {
  const base = keyOf(plan({ query: WATCH, variables: { id: '1' } }, null));
  expect(keyOf(plan({ query: WATCH, variables: { after: '1-0', id: '1' } }, alice))).toBe(base);
  expect(keyOf(plan({ query: 'subscription ($id: ID!) { productUpdated(id: $id, after: "5-0") { id priceCents } }', variables: { id: '1' } }, null))).not.toBe(base);
  const resumed = plan({ query: WATCH, variables: { id: '1', after: '1-0' } }, null);
  expect('plan' in resumed && resumed.after).toBe('1-0');
  expect('plan' in resumed && resumed.plan.variableValues).toEqual({ id: '1' });
});

it('tells apart other arguments, documents and, for private data, users', () => {
  const base = keyOf(plan({ query: WATCH, variables: { id: '1' } }, null));
  expect(keyOf(plan({ query: WATCH, variables: { id: '2' } }, null))).not.toBe(base);
  expect(keyOf(plan({ query: WATCH.replace('priceCents', 'stock'), variables: { id: '1' } }, null))).not.toBe(base);
  const ORDERS = 'subscription { orderStatusChanged { id status } }';
  expect(keyOf(plan({ query: ORDERS }, alice))).not.toBe(keyOf(plan({ query: ORDERS }, bob)));
  // A public field whose selection reads a private one (the author's email) is per user too.
  const EMAILS = 'subscription { reviewAdded(productId: "1") { author { email } } }';
  expect(keyOf(plan({ query: EMAILS }, alice))).not.toBe(keyOf(plan({ query: EMAILS }, bob)));
  expect(keyOf(plan({ query: EMAILS }, alice))).toMatch(/\|user:7$/);
});

it('hands subscribers of one key the same plan (one document held, not one each), each its own resume point', () => {
  const first = plan({ query: WATCH, variables: { id: '3' } }, null);
  const second = plan({ query: WATCH, variables: { after: '2-0', id: '3' } }, alice);
  if ('errors' in first || 'errors' in second) throw new Error('planning failed');
  expect(second.plan).toBe(first.plan);
  expect([first.after, second.after]).toEqual([undefined, '2-0']);
  const other = plan({ query: WATCH, variables: { id: '4' } }, null);
  expect('plan' in other && other.plan).not.toBe(first.plan);
});
