/**
 * What the benchmark sends: the contract documents (the project's copy, `bench/queries`), read
 * unchanged, each with a deterministic sequence of variables and a check of every response's data.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The project's copy of the contract, so a clone benchmarks on its own; `SHARED_DIR` names
 * another `shared/` to read instead (an empty value counts as unset).
 */
export const QUERIES_DIR = process.env.SHARED_DIR
  ? path.join(process.env.SHARED_DIR, 'bench', 'queries')
  : path.join(__dirname, 'queries');

/** Ids present in the benchmark database, read from it before the run. */
export interface Keys {
  productIds: readonly number[];
  categoryIds: readonly number[];
}

export interface Workload {
  /** File name in QUERIES_DIR, without `.graphql`. */
  document: string;
  /** What the rows stand for, for the report. */
  description: string;
  query: string;
  /**
   * Distinct requests in the sequence: `variables(n)` repeats with this period. A warm cache has
   * seen one whole period before its measured window.
   */
  cycle: number;
  /** Variables of the n-th request of a window (n from 0). Same n, same variables, every run. */
  variables(n: number): Record<string, unknown>;
  /** A problem with a response's `data` (already free of `errors`), or undefined when it is right. */
  check(data: any, variables: Record<string, unknown>): string | undefined;
}

export function readDocument(name: string): string {
  return readFileSync(path.join(QUERIES_DIR, `${name}.graphql`), 'utf8');
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * A stride coprime with `length`: walking `i * stride mod length` visits every index once per
 * `length` steps, and consecutive requests land far apart (no accidental locality).
 */
function strideFor(length: number, start = 7919 /* a prime */): number {
  let stride = start;
  while (gcd(stride, length) !== 1) stride += 2;
  return stride;
}

export function workloads(keys: Keys): Workload[] {
  const { productIds, categoryIds } = keys;
  const productStride = strideFor(productIds.length);
  return [
    {
      document: 'catalog',
      description: `first page (50) of the whole catalog, then of each of the ${categoryIds.length} categories, in turn`,
      query: readDocument('catalog'),
      cycle: categoryIds.length + 1,
      variables: (n) => {
        const slot = n % (categoryIds.length + 1);
        return slot === 0 ? {} : { categoryId: String(categoryIds[slot - 1]) };
      },
      check: (data, variables) => {
        const edges = data?.products?.edges;
        if (!Array.isArray(edges) || edges.length !== 50) return `expected 50 edges, got ${edges?.length}`;
        if (variables.categoryId !== undefined && edges.some((e: any) => e.node.category.id !== variables.categoryId)) {
          return `a product outside category ${String(variables.categoryId)}`;
        }
        return undefined;
      },
    },
    {
      document: 'product-page',
      description: `one of the ${productIds.length.toLocaleString('en-US')} products per request (id walk with stride ${productStride}, each visited once per ${productIds.length.toLocaleString('en-US')} requests)`,
      query: readDocument('product-page'),
      cycle: productIds.length,
      variables: (n) => ({ id: String(productIds[(n * productStride) % productIds.length]) }),
      check: checkProductPage,
    },
  ];
}

/** A problem with a product page's data (the product asked for, at most 10 reviews), or undefined. */
export function checkProductPage(data: any, variables: Record<string, unknown>): string | undefined {
  const product = data?.product;
  if (!product) return `product ${String(variables.id)} is null`;
  if (product.id !== variables.id) return `asked for product ${String(variables.id)}, got ${product.id}`;
  if (product.reviews.edges.length > 10) return `${product.reviews.edges.length} reviews on a page of 10`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The mixed run

/** One request of the mixed run: a product page, or a price change of one product. */
export type MixedOperation =
  | { kind: 'read'; productId: number }
  | { kind: 'update'; productId: number; /** Unique in the run: no other update, and no seeded price, has it. */ priceCents: number };

export interface MixedWorkload {
  description: string;
  readQuery: string;
  updateQuery: string;
  productIds: readonly number[];
  /** The n-th operation of the window (n from 0); deterministic. */
  operation(n: number): MixedOperation;
}

/** Seeded prices are 199 to 49,999 cents; every price the run writes is above this and unique. */
export const MIXED_PRICE_BASE = 1_000_000;

/**
 * 95 % reads, 5 % price changes, over `productIds` (the first 200 products). Every 20th operation
 * (n ≡ 10 mod 20) is an update; reads walk the products with one stride, updates with another, so
 * each product is read and changed, at unrelated moments. Update k writes MIXED_PRICE_BASE + k.
 */
export function mixedWorkload(productIds: readonly number[]): MixedWorkload {
  const readStride = strideFor(productIds.length);
  const updateStride = strideFor(productIds.length, 37);
  return {
    description:
      `product-page.graphql over products ${productIds[0]}..${productIds[productIds.length - 1]} (${productIds.length}; ` +
      `stride ${readStride}), and on every 20th request (5 %) update-price.graphql for one of them (stride ${updateStride}) ` +
      `as the ADMIN user1, each with a price no other request of the run writes`,
    readQuery: readDocument('product-page'),
    updateQuery: readDocument('update-price'),
    productIds,
    operation: (n) => {
      if (n % 20 === 10) {
        const k = Math.floor(n / 20);
        return { kind: 'update', productId: productIds[(k * updateStride) % productIds.length]!, priceCents: MIXED_PRICE_BASE + k };
      }
      return { kind: 'read', productId: productIds[(n * readStride) % productIds.length]! };
    },
  };
}
