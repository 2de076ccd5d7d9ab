import { decodeCursor, encodeCursor, pageSize, toConnection } from '../../src/modules/common/connection';
import { parseId } from '../../src/modules/common/ids';

describe('cursors', () => {
  it('round-trip a sort key opaquely', () => {
    const cursor = encodeCursor(['2026-01-01T00:00:00.000Z', 42]);
    expect(cursor).not.toContain('42');
    expect(decodeCursor(cursor)).toEqual(['2026-01-01T00:00:00.000Z', 42]);
  });

  it.each(['', 'garbage', encodeCursor(['x', 1]).slice(0, -3), Buffer.from('[1,"x"]').toString('base64url')])(
    'refuse %j with BAD_USER_INPUT naming the argument',
    (cursor) => {
      expect(() => decodeCursor(cursor, 'after')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }) }));
    },
  );

  it('absent cursor means the first page', () => {
    expect(decodeCursor(undefined)).toBeNull();
    expect(decodeCursor(null)).toBeNull();
  });
});

describe('page size', () => {
  it('accepts 0 to 100 and defaults when absent', () => {
    expect(pageSize(undefined, 20)).toBe(20);
    expect(pageSize(0, 20)).toBe(0);
    expect(pageSize(100, 20)).toBe(100);
  });
  it.each([-1, 101, 2.5])('refuses %p', (first) => {
    expect(() => pageSize(first, 20)).toThrow(/"first" must be from 0 to 100/);
  });
});

describe('toConnection', () => {
  it('gives each edge a cursor and the page its end cursor', () => {
    const rows = [{ id: 1 }, { id: 2 }];
    const connection = toConnection(rows, true, (r) => ['k', r.id]);
    expect(connection.edges.map((e) => decodeCursor(e.cursor))).toEqual([['k', 1], ['k', 2]]);
    expect(connection.pageInfo).toEqual({ hasNextPage: true, endCursor: connection.edges[1]!.cursor });
    expect(toConnection([], false, () => ['k', 0]).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});

describe('parseId', () => {
  it('accepts positive integers as strings or numbers', () => {
    expect(parseId('17')).toBe(17);
    expect(parseId(17)).toBe(17);
  });
  it.each(['0', '-1', 'abc', '1.5', '99999999999', ''])('refuses %j', (id) => {
    expect(() => parseId(id)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
  });
});
