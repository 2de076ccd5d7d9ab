/**
 * The deterministic storefront dataset of `shared/bench/README.md`: the same size always gives
 * the same rows, so benchmark runs and tests compare like with like.
 */

export type DatasetSize = 'demo' | 'bench';

export const DATASET_SIZES: Record<
  DatasetSize,
  { categories: number; products: number; users: number; reviews: number; orders: number }
> = {
  demo: { categories: 8, products: 200, users: 50, reviews: 1_000, orders: 100 },
  bench: { categories: 50, products: 10_000, users: 2_000, reviews: 100_000, orders: 20_000 },
};

/** The password every seeded user has. */
export const SEED_PASSWORD = 'storefront';

/** mulberry32: tiny, fast and good enough for fake data; seeded so output never changes. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, int, pick };
}

const CATEGORY_NAMES = [
  'Kitchen', 'Garden', 'Outdoor', 'Books', 'Music', 'Toys', 'Office', 'Lighting',
  'Bath', 'Bedding', 'Tools', 'Pets', 'Travel', 'Fitness', 'Audio', 'Cameras',
];
const ADJECTIVES = [
  'Classic', 'Compact', 'Deluxe', 'Everyday', 'Handmade', 'Lightweight', 'Modern', 'Organic',
  'Premium', 'Rugged', 'Smart', 'Vintage', 'Wireless', 'Foldable', 'Ceramic', 'Bamboo',
];
const NOUNS = [
  'Kettle', 'Lamp', 'Backpack', 'Notebook', 'Speaker', 'Chair', 'Mug', 'Blanket', 'Planter',
  'Headphones', 'Knife', 'Tent', 'Bottle', 'Clock', 'Desk', 'Pillow', 'Camera', 'Jacket',
];
const FIRST_NAMES = [
  'Ada', 'Ben', 'Chloe', 'Dev', 'Elena', 'Femi', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kira',
  'Liam', 'Maya', 'Noor', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tara',
];
const LAST_NAMES = [
  'Okafor', 'Berg', 'Costa', 'Dubois', 'Evans', 'Fischer', 'Garcia', 'Hansen', 'Ito', 'Jensen',
  'Khan', 'Lopez', 'Moreau', 'Novak', 'Olsen', 'Park', 'Rossi', 'Silva', 'Tanaka', 'Weber',
];
const REVIEW_OPENERS = [
  'Exactly as described.', 'Better than I expected.', 'Does the job.', 'Not worth the price.',
  'Arrived quickly and well packed.', 'Stopped working after a month.', 'Would buy again.',
  'Solid build quality.', 'A little smaller than pictured.', 'My second one already.',
];
const ORDER_STATUSES = ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED'] as const;

export interface Dataset {
  categories: { id: number; name: string; slug: string; description: string }[];
  products: {
    id: number; sku: string; name: string; description: string; priceCents: number;
    currency: string; stock: number; categoryId: number; createdAt: Date;
  }[];
  users: { id: number; name: string; email: string; role: 'CUSTOMER' | 'ADMIN'; createdAt: Date }[];
  reviews: { id: number; productId: number; authorId: number; rating: number; body: string; createdAt: Date }[];
  orders: { id: number; userId: number; status: string; totalCents: number; currency: string; createdAt: Date }[];
  orderItems: { id: number; orderId: number; productId: number; quantity: number; unitPriceCents: number }[];
}

const EPOCH = Date.UTC(2025, 0, 1);
const MINUTE = 60_000;

/**
 * How many reviews each product gets: 0 to 20, some none, summing exactly to `total`.
 */
function reviewCounts(products: number, total: number, random: ReturnType<typeof createRandom>): number[] {
  const mean = total / products;
  const counts = Array.from({ length: products }, () => Math.min(20, random.int(0, Math.round(2 * mean))));
  let sum = counts.reduce((a, b) => a + b, 0);
  while (sum !== total) {
    const i = random.int(0, products - 1);
    if (sum < total && counts[i]! > 0 && counts[i]! < 20) {
      counts[i]! += 1;
      sum += 1;
    } else if (sum > total && counts[i]! > 1) {
      counts[i]! -= 1;
      sum -= 1;
    }
  }
  return counts;
}

export function buildDataset(size: DatasetSize): Dataset {
  const n = DATASET_SIZES[size];
  const random = createRandom(20261122);

  const categories = Array.from({ length: n.categories }, (_, i) => {
    const base = CATEGORY_NAMES[i % CATEGORY_NAMES.length]!;
    const round = Math.floor(i / CATEGORY_NAMES.length);
    const name = round === 0 ? base : `${base} ${round + 1}`;
    return {
      id: i + 1,
      name,
      slug: name.toLowerCase().replace(/\s+/g, '-'),
      description: `Everything for ${name.toLowerCase()}.`,
    };
  });

  const products = Array.from({ length: n.products }, (_, i) => {
    const name = `${random.pick(ADJECTIVES)} ${random.pick(NOUNS)} ${i + 1}`;
    return {
      id: i + 1,
      sku: `SKU-${String(i + 1).padStart(6, '0')}`,
      name,
      description: `The ${name.toLowerCase()}: a dependable pick for daily use.`,
      priceCents: random.int(199, 49_999),
      currency: 'USD',
      stock: random.int(0, 500),
      categoryId: random.int(1, n.categories),
      createdAt: new Date(EPOCH + i * MINUTE),
    };
  });

  const users = Array.from({ length: n.users }, (_, i) => ({
    id: i + 1,
    name: `${FIRST_NAMES[i % FIRST_NAMES.length]} ${LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length]}`,
    email: `user${i + 1}@example.com`,
    // The first user runs the back office, so the price-change document has someone to send it.
    role: (i === 0 ? 'ADMIN' : 'CUSTOMER') as 'CUSTOMER' | 'ADMIN',
    createdAt: new Date(EPOCH + i * MINUTE),
  }));

  const reviews: Dataset['reviews'] = [];
  reviewCounts(n.products, n.reviews, random).forEach((count, p) => {
    for (let k = 0; k < count; k += 1) {
      const rating = random.int(1, 5);
      reviews.push({
        id: reviews.length + 1,
        productId: p + 1,
        authorId: random.int(1, n.users),
        rating,
        body: `${random.pick(REVIEW_OPENERS)} ${rating >= 4 ? 'Recommended.' : 'Mixed feelings.'}`,
        createdAt: new Date(EPOCH + (n.products + reviews.length) * MINUTE),
      });
    }
  });

  const orders: Dataset['orders'] = [];
  const orderItems: Dataset['orderItems'] = [];
  for (let o = 0; o < n.orders; o += 1) {
    const orderId = o + 1;
    let totalCents = 0;
    const lines = random.int(1, 4);
    for (let l = 0; l < lines; l += 1) {
      const product = products[random.int(0, n.products - 1)]!;
      const quantity = random.int(1, 3);
      totalCents += quantity * product.priceCents;
      orderItems.push({ id: orderItems.length + 1, orderId, productId: product.id, quantity, unitPriceCents: product.priceCents });
    }
    orders.push({
      id: orderId,
      userId: random.int(1, n.users),
      status: random.pick(ORDER_STATUSES),
      totalCents,
      currency: 'USD',
      createdAt: new Date(EPOCH + (n.products + n.reviews + o) * MINUTE),
    });
  }

  return { categories, products, users, reviews, orders, orderItems };
}
