/**
 * What the benchmark sends: the contract documents of `shared/bench/queries`, read unchanged,
 * each with a deterministic sequence of variables and a check of every response's data.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(__dirname, '../../shared');

/** Ids present in the benchmark database, read from it before the run. */
export interface Keys {
  productIds: readonly number[];
  categoryIds: readonly number[];
}

export interface Workload {
  /** File name in shared/bench/queries, without `.graphql`. */
  document: string;
  /** What the rows stand for, for the report. */
  description: string;
  query: string;
  /** Variables of the n-th request of a window (n from 0). Same n, same variables, every run. */
  variables(n: number): Record<string, unknown>;
  /** A problem with a response's `data` (already free of `errors`), or undefined when it is right. */
  check(data: any, variables: Record<string, unknown>): string | undefined;
}

export function readDocument(name: string): string {
  return readFileSync(path.join(SHARED_DIR, 'bench', 'queries', `${name}.graphql`), 'utf8');
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * A stride coprime with `length`: walking `i * stride mod length` visits every index once per
 * `length` steps, and consecutive requests land far apart (no accidental locality).
 */
function strideFor(length: number): number {
  let stride = 7919; // a prime
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
      variables: (n) => ({ id: String(productIds[(n * productStride) % productIds.length]) }),
      check: (data, variables) => {
        const product = data?.product;
        if (!product) return `product ${String(variables.id)} is null`;
        if (product.id !== variables.id) return `asked for product ${String(variables.id)}, got ${product.id}`;
        if (product.reviews.edges.length > 10) return `${product.reviews.edges.length} reviews on a page of 10`;
        return undefined;
      },
    },
  ];
}
