/**
 * The page-per-parent loader: one fetch per distinct page shape, rows split back to parents in
 * order, `hasNextPage` from the one extra row. The fetch here is a plain function over an
 * array: this is the loader's own logic, the SQL behind it is covered by integration tests.
 */
import { createPagePerParentLoader } from '../../src/loaders/page-per-parent';
import { createByForeignKeyLoader, createByKeyLoader } from '../../src/loaders/by-key';

interface Row {
  id: number;
  parentId: number;
}

const rows: Row[] = [
  { id: 1, parentId: 10 },
  { id: 2, parentId: 10 },
  { id: 3, parentId: 10 },
  { id: 4, parentId: 20 },
];

function setup() {
  const calls: { parentIds: number[]; limit: number; after: number | null }[] = [];
  const loader = createPagePerParentLoader<number, number, Row>({
    fetch: async (parentIds, limit, after) => {
      calls.push({ parentIds: [...parentIds], limit, after });
      return parentIds.flatMap((p) => rows.filter((r) => r.parentId === p && (after === null || r.id > after)).slice(0, limit));
    },
    parentOf: (row) => row.parentId,
    cursorKey: String,
  });
  return { loader, calls };
}

describe('createPagePerParentLoader', () => {
  it('serves many parents with one fetch per page shape', async () => {
    const { loader, calls } = setup();
    const [a, b, c, d] = await Promise.all([
      loader.load({ parentId: 10, first: 2, after: null }),
      loader.load({ parentId: 20, first: 2, after: null }),
      loader.load({ parentId: 30, first: 2, after: null }),
      loader.load({ parentId: 10, first: 5, after: 1 }),
    ]);
    expect(calls).toEqual([
      { parentIds: [10, 20, 30], limit: 3, after: null },
      { parentIds: [10], limit: 6, after: 1 },
    ]);
    expect(a).toEqual({ rows: [rows[0], rows[1]], hasNextPage: true });
    expect(b).toEqual({ rows: [rows[3]], hasNextPage: false });
    expect(c).toEqual({ rows: [], hasNextPage: false });
    expect(d).toEqual({ rows: [rows[1], rows[2]], hasNextPage: false });
  });

  it('memoises equal requests within one loader', async () => {
    const { loader, calls } = setup();
    await loader.load({ parentId: 10, first: 2, after: null });
    await loader.load({ parentId: 10, first: 2, after: null });
    expect(calls).toHaveLength(1);
  });
});

describe('createByKeyLoader / createByForeignKeyLoader', () => {
  it('returns rows in key order with null for missing keys, in one fetch', async () => {
    let fetches = 0;
    const loader = createByKeyLoader<number, Row>({
      fetch: async (ids) => {
        fetches += 1;
        return rows.filter((r) => ids.includes(r.id)).reverse();
      },
      keyOf: (r) => r.id,
    });
    expect(await loader.loadMany([3, 99, 1])).toEqual([rows[2], null, rows[0]]);
    expect(fetches).toBe(1);
  });

  it('groups children by foreign key, empty list for none', async () => {
    const loader = createByForeignKeyLoader<number, Row>({
      fetch: async (ids) => rows.filter((r) => ids.includes(r.parentId)),
      keyOf: (r) => r.parentId,
    });
    expect(await loader.loadMany([20, 30, 10])).toEqual([[rows[3]], [], [rows[0], rows[1], rows[2]]]);
  });
});
