import { buildDataset, DATASET_SIZES } from '../../src/db/seed/dataset';
import { hashPassword, verifyPassword } from '../../src/session/password';

describe('seed dataset', () => {
  it.each(['demo', 'bench'] as const)('%s has the sizes of shared/bench/README.md', (size) => {
    const data = buildDataset(size);
    expect({
      categories: data.categories.length,
      products: data.products.length,
      users: data.users.length,
      reviews: data.reviews.length,
      orders: data.orders.length,
    }).toEqual(DATASET_SIZES[size]);
  });

  it('is deterministic', () => {
    expect(buildDataset('demo')).toEqual(buildDataset('demo'));
  });

  it('gives each product 0 to 20 reviews, some none', () => {
    const data = buildDataset('demo');
    const perProduct = new Map<number, number>();
    for (const r of data.reviews) perProduct.set(r.productId, (perProduct.get(r.productId) ?? 0) + 1);
    expect(Math.max(...perProduct.values())).toBeLessThanOrEqual(20);
    expect(perProduct.size).toBeLessThan(data.products.length);
  });

  it('names users user<N>@example.com and makes user1 the only admin', () => {
    const { users } = buildDataset('demo');
    expect(users[0]).toMatchObject({ email: 'user1@example.com', role: 'ADMIN' });
    expect(users[49]).toMatchObject({ email: 'user50@example.com', role: 'CUSTOMER' });
    expect(users.filter((u) => u.role === 'ADMIN')).toHaveLength(1);
  });

  it('order totals are the sum of their lines', () => {
    const data = buildDataset('demo');
    for (const order of data.orders.slice(0, 20)) {
      const lines = data.orderItems.filter((i) => i.orderId === order.id);
      expect(order.totalCents).toBe(lines.reduce((s, i) => s + i.quantity * i.unitPriceCents, 0));
    }
  });
});

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one; salts differ', async () => {
    const a = await hashPassword('storefront');
    const b = await hashPassword('storefront');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('storefront', a)).toBe(true);
    expect(await verifyPassword('Storefront', a)).toBe(false);
    expect(await verifyPassword('storefront', 'md5$whatever')).toBe(false);
  });
});
