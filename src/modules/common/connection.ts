/**
 * Relay-style connections over keyset pagination. A cursor is the opaque base64url of the sort
 * key of one row (`[sortValue, id]`), so the next page starts strictly after it and never
 * skips or repeats rows when others are inserted meanwhile.
 */
import { BadUserInputError } from '../../errors';

export type CursorKey = readonly [string | number, number];

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  /** The id of the list's owner, for fields such as `totalCount` that count the whole list. */
  parentId?: number;
}

export const MAX_PAGE_SIZE = 100;

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The type of a list's sort column, which a cursor's sort value must match. */
export type CursorSort = 'timestamp' | 'integer' | 'text' | 'any';

const SORT_VALUE_CHECKS: Record<CursorSort, (value: unknown) => boolean> = {
  // Exactly what `toISOString` issues, so PostgreSQL's `::timestamptz` always accepts it.
  timestamp: (value) =>
    typeof value === 'string' && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value,
  integer: (value) => Number.isSafeInteger(value),
  // PostgreSQL text cannot hold NUL; the driver would fail on it.
  text: (value) => typeof value === 'string' && !value.includes('\u0000'),
  any: (value) => typeof value === 'string' || typeof value === 'number',
};

/**
 * Decodes an `after` argument. `sort` is the type of the list's sort column: a cursor whose
 * value does not fit it was not issued by this API for this list, and must not reach SQL.
 */
export function decodeCursor(cursor: string | null | undefined, argument = 'after', sort: CursorSort = 'any'): CursorKey | null {
  if (cursor === null || cursor === undefined) return null;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === 2 &&
      SORT_VALUE_CHECKS.any(key[0]) &&
      SORT_VALUE_CHECKS[sort](key[0]) &&
      Number.isSafeInteger(key[1])
    ) {
      return [key[0], key[1]];
    }
  } catch {
    // Falls through to the error below: any undecodable cursor is the caller's mistake.
  }
  throw new BadUserInputError(
    `"${argument}" is not a cursor this API issued; pass a \`cursor\` or \`endCursor\` from an earlier page.`,
    { field: argument },
  );
}

/** Checks `first` against the API's page-size bounds. */
export function pageSize(first: number | null | undefined, fallback: number, argument = 'first'): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`"${argument}" must be from 0 to ${MAX_PAGE_SIZE}; got ${size}.`, { field: argument });
  }
  return size;
}

/**
 * `page.after`: the decoded `after` argument the page was asked for with. Lists page forward
 * only, so whether anything precedes the page is answered from it, not counted: a page asked
 * for after a cursor starts after the row that cursor was taken from. The Relay specification
 * allows this, and it costs no statement. Everything here is plain data, so a connection cached
 * as ids and cursors comes back whole.
 */
export function toConnection<T>(
  rows: readonly T[],
  page: { hasNextPage: boolean; after: CursorKey | null },
  keyOf: (row: T) => CursorKey,
  parentId?: number,
): Connection<T> {
  const edges = rows.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    ...(parentId === undefined ? {} : { parentId }),
  };
}

/** Sort key of lists ordered newest first, the default for reviews and orders. */
export function newestKey(row: { createdAt: Date | string; id: number }): CursorKey {
  return [new Date(row.createdAt).toISOString(), row.id];
}
