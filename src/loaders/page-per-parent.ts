/**
 * Loads one page of children for many parents at once: `reviews(first: 3)` for 50 products is
 * one statement (a window function ranks each parent's children), not 50.
 */
import DataLoader from 'dataloader';

export interface PageRequest<P, C> {
  parentId: P;
  /** How many children the page holds. */
  first: number;
  /** Only children strictly after this position (decoded cursor), or none for the first page. */
  after: C | null;
}

export interface PageOfChildren<R> {
  /** Up to `first` rows in page order. */
  rows: R[];
  /** True when the parent has more children after the last row. */
  hasNextPage: boolean;
}

export interface PagePerParentLoaderOptions<P, C, R> {
  /**
   * Loads at most `limit` rows per parent for all `parentIds` in one statement, in page order.
   * Called once per distinct (`first`, `after`) among the batch's requests.
   */
  fetch: (parentIds: readonly P[], limit: number, after: C | null) => Promise<readonly R[]>;
  parentOf: (row: R) => P;
  /** Turns `after` into a stable string so equal requests share one load. */
  cursorKey: (after: C) => string;
}

export function createPagePerParentLoader<P, C, R>(
  options: PagePerParentLoaderOptions<P, C, R>,
): DataLoader<PageRequest<P, C>, PageOfChildren<R>, string> {
  const groupKey = (request: PageRequest<P, C>) =>
    `${request.first}|${request.after === null ? '' : options.cursorKey(request.after)}`;

  return new DataLoader<PageRequest<P, C>, PageOfChildren<R>, string>(
    async (requests) => {
      // Requests that ask for the same page shape share one statement.
      const groups = new Map<string, PageRequest<P, C>[]>();
      for (const request of requests) {
        const key = groupKey(request);
        const group = groups.get(key);
        if (group) group.push(request);
        else groups.set(key, [request]);
      }
      const pages = new Map<string, PageOfChildren<R>>();
      await Promise.all(
        [...groups.entries()].map(async ([key, group]) => {
          const { first, after } = group[0]!;
          const parentIds = [...new Set(group.map((r) => r.parentId))];
          // One extra row per parent tells whether a next page exists.
          const rows = await options.fetch(parentIds, first + 1, after);
          const byParent = new Map<P, R[]>(parentIds.map((id) => [id, []]));
          for (const row of rows) byParent.get(options.parentOf(row))?.push(row);
          for (const [parentId, children] of byParent) {
            pages.set(`${key}|${String(parentId)}`, {
              rows: children.slice(0, first),
              hasNextPage: children.length > first,
            });
          }
        }),
      );
      return requests.map((r) => pages.get(`${groupKey(r)}|${String(r.parentId)}`)!);
    },
    { cacheKeyFn: (request) => `${groupKey(request)}|${String(request.parentId)}` },
  );
}
