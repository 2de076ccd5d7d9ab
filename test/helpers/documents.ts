import { readFileSync } from 'node:fs';
import path from 'node:path';
import { QUERIES_DIR } from './env';

/** Every document of the workload contract, by file name without `.graphql`. */
export const BENCH_DOCUMENTS = [
  'catalog',
  'product-page',
  'me',
  'login',
  'update-price',
  'add-review',
  'product-updated',
  'review-added',
] as const;

export type BenchDocument = (typeof BENCH_DOCUMENTS)[number];

/** A document of the workload contract, exactly as the contract holds it. */
export function benchDocument(name: BenchDocument): string {
  return readFileSync(path.join(QUERIES_DIR, `${name}.graphql`), 'utf8');
}
