/**
 * What each change makes stale: rows the outbox triggers record for writes made outside the API,
 * outbox rows of every kind, and an operator's invalidation request.
 */
import { planInvalidation } from '../../src/modules/admin/admin.service';
import { invalidationForOutboxRow, invalidationForRowChange, tagsForEntity, type RowChange } from '../../src/modules/invalidation';

const product = { id: 7, sku: 'SKU-7', name: 'Kettle', description: 'Boils.', price_cents: 1000, currency: 'USD', stock: 3, category_id: 2 };
const change = (table: string, op: RowChange['op'], old: Record<string, unknown> | null, next: Record<string, unknown> | null) =>
  invalidationForRowChange({ table, op, old, new: next });

describe('rows changed outside the API', () => {
  it('a price change drops the product and the lists ordered or filtered by price', () => {
    expect(change('product', 'UPDATE', product, { ...product, price_cents: 1200 })).toEqual({
      tags: ['Product:7', 'Product:list:order:PRICE_ASC', 'Product:list:order:PRICE_DESC', 'Product:list:price'],
      purge: false,
    });
  });

  it('a stock change drops the product alone; a category move both categories\' lists', () => {
    expect(change('product', 'UPDATE', product, { ...product, stock: 9 }).tags).toEqual(['Product:7']);
    expect(change('product', 'UPDATE', product, { ...product, category_id: 5 }).tags).toEqual([
      'Product:7',
      'Category:2:products',
      'Category:5:products',
    ]);
  });

  it('a new or deleted product drops the lists it enters or leaves', () => {
    expect(change('product', 'INSERT', null, product).tags).toEqual(['Product:list', 'Product:7', 'Category:2:products']);
    expect(change('product', 'DELETE', product, null).tags).toEqual(['Product:list', 'Product:7', 'Category:2:products', 'Product:7:reviews']);
  });

  it('a new review drops its product\'s reviews and its author\'s; an edited one its own entry too', () => {
    const review = { id: 40, product_id: 7, author_id: 3, rating: 4, body: 'Fine.' };
    expect(change('review', 'INSERT', null, review).tags).toEqual(['Review:40', 'Product:7:reviews', 'User:3:reviews']);
    expect(change('review', 'UPDATE', review, { ...review, product_id: 8 }).tags).toEqual([
      'Review:40',
      'Product:7:reviews',
      'Product:8:reviews',
      'User:3:reviews',
    ]);
  });

  it('categories: a rename reorders `categories`; a description change does not', () => {
    const category = { id: 2, name: 'Kitchen', slug: 'kitchen', description: null };
    expect(change('category', 'UPDATE', category, { ...category, name: 'Cooking' }).tags).toEqual(['Category:2', 'Category:list']);
    expect(change('category', 'UPDATE', category, { ...category, description: 'Pots.' }).tags).toEqual(['Category:2']);
  });

  it('users: an email change drops the private email field; a role change their cached sessions', () => {
    const user = { id: 5, name: 'Ada', email: 'a@example.com', role: 'CUSTOMER' };
    expect(change('app_user', 'UPDATE', user, { ...user, email: 'b@example.com' }).tags).toEqual(['User:5', 'User:5:email']);
    expect(change('app_user', 'UPDATE', user, { ...user, role: 'ADMIN' }).tags).toEqual(['User:5', 'User:5:sessions']);
    expect(change('app_user', 'UPDATE', user, { ...user, name: 'Ada L.' }).tags).toEqual(['User:5']);
  });

  it('orders, their items, and sessions', () => {
    expect(change('customer_order', 'UPDATE', { id: 9, user_id: 4, status: 'PENDING' }, { id: 9, user_id: 4, status: 'PAID' }).tags).toEqual([
      'Order:9',
      'User:4:orders',
    ]);
    expect(change('order_item', 'DELETE', { id: 1, order_id: 9 }, null).tags).toEqual(['Order:9:items']);
    expect(change('session', 'DELETE', { id: 'abc', user_id: 4 }, null).tags).toEqual(['Session:abc']);
    expect(change('session', 'INSERT', null, { id: 'abc', user_id: 4 }).tags).toEqual([]);
  });

  it('a TRUNCATE, or a table this code does not know, empties the whole cache', () => {
    expect(change('product', 'TRUNCATE', null, null)).toEqual({ tags: [], purge: true });
    expect(change('wishlist', 'INSERT', null, { id: 1 })).toEqual({ tags: [], purge: true });
  });
});

describe('outbox rows', () => {
  it('use their recorded tags, or derive them from the domain event they hold', () => {
    expect(invalidationForOutboxRow({ type: 'ReviewAdded', payload: {}, tags: ['Product:1:reviews'] })).toEqual({
      tags: ['Product:1:reviews'],
      purge: false,
    });
    const event = { type: 'ProductUpdated', productId: 3, fields: ['name', 'updatedAt'], categoryIds: [] };
    expect(invalidationForOutboxRow({ type: 'ProductUpdated', payload: event, tags: null })).toEqual({
      tags: ['Product:3', 'Product:list:order:NAME_ASC', 'Product:list:text'],
      purge: false,
    });
  });

  it('an operator\'s request carries its tags and whether to purge', () => {
    expect(invalidationForOutboxRow({ type: 'CacheInvalidationRequested', payload: { purge: true }, tags: [] })).toEqual({ tags: [], purge: true });
  });

  it('a type without tags that this code does not know (a newer writer) is never published as nothing: it purges', () => {
    expect(invalidationForOutboxRow({ type: 'ProductRetired', payload: { productId: 1 }, tags: null })).toEqual({ tags: [], purge: true });
    expect(invalidationForOutboxRow({ type: 'ProductRetired', payload: {}, tags: ['Product:1'] })).toEqual({ tags: ['Product:1'], purge: false });
  });
});

describe('invalidateCache requests', () => {
  const fieldsOf = (type: string) => (type === 'Product' ? ['reviews', 'averageRating'] : []);

  it('turn entities into their own tags, keep given tags, and purge for a type', () => {
    expect(planInvalidation({ entities: [{ type: 'Product', id: '4' }], tags: ['Product:list', 'Product:4'] }, fieldsOf)).toEqual({
      tags: ['Product:4', 'Product:4:reviews', 'Product:4:averageRating', 'Product:list'],
      purge: false,
      types: [],
    });
    expect(planInvalidation({ types: ['Order'] }, fieldsOf)).toMatchObject({ purge: true, types: ['Order'] });
    expect(tagsForEntity('User', 3, ['email'])).toEqual(['User:3', 'User:3:email', 'User:3:sessions']);
  });

  it.each([
    ['nothing', {}, /Say what to invalidate/],
    ['an unknown type', { types: ['Widget'] }, /"types\[0\]": "Widget" is not a cached type; use one of Product, Category, User, Review, Order/],
    ['an entity of an unknown type', { entities: [{ type: 'Session', id: '1' }] }, /"entities\[0\].type"/],
    ['an entity with a bad id', { entities: [{ type: 'Product', id: '0' }] }, /"entities\[0\].id" must be the id/],
    ['a tag with a space', { tags: ['has space'] }, /"tags\[0\]": a tag is 1 to 256 characters without spaces/],
    ['1001 tags', { tags: Array.from({ length: 1001 }, (_, i) => `T:${i}`) }, /at most 1000/],
  ])('refuse %s with BAD_USER_INPUT', (_name, request, message) => {
    expect(() => planInvalidation(request, fieldsOf)).toThrow(message);
    try {
      planInvalidation(request, fieldsOf);
    } catch (error) {
      expect((error as { extensions: { code: string } }).extensions.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('a session ended', () => {
  it('drops its cached session and, when its user is named, the user\'s PRIVATE entries', () => {
    const row = (payload: Record<string, unknown>) => invalidationForOutboxRow({ type: 'SessionEnded', payload, tags: null });
    expect(row({ type: 'SessionEnded', sessionId: 'abc' })).toEqual({ tags: ['Session:abc'], purge: false });
    expect(row({ type: 'SessionEnded', sessionId: 'abc', userId: 4 })).toEqual({ tags: ['Session:abc', 'User:4:email', 'User:4:orders'], purge: false });
  });
});
