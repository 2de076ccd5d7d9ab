import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SHARED_DIR } from './env';

export type BenchDocument =
  | 'catalog'
  | 'product-page'
  | 'me'
  | 'login'
  | 'update-price'
  | 'add-review'
  | 'product-updated'
  | 'review-added';

/** A document of the workload contract, exactly as `shared/bench/queries` holds it. */
export function benchDocument(name: BenchDocument): string {
  return readFileSync(path.join(SHARED_DIR, 'bench', 'queries', `${name}.graphql`), 'utf8');
}
