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
  it('gives each edge a cursor and the page its start and end cursors', () => {
    const rows = [{ id: 1 }, { id: 2 }];
    const connection = toConnection(rows, { hasNextPage: true, after: null }, (r) => ['k', r.id]);
    expect(connection.edges.map((e) => decodeCursor(e.cursor))).toEqual([['k', 1], ['k', 2]]);
    expect(connection.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: connection.edges[0]!.cursor,
      endCursor: connection.edges[1]!.cursor,
    });
  });

  it('says a page asked for after a cursor has items before it, even when it is empty', () => {
    const later = toConnection([{ id: 3 }], { hasNextPage: false, after: ['k', 2] }, (r) => ['k', r.id]);
    expect(later.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(later.pageInfo.startCursor).toBe(later.pageInfo.endCursor);
    expect(toConnection([], { hasNextPage: false, after: ['k', 9] }, () => ['k', 0]).pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: null,
      endCursor: null,
    });
    expect(toConnection([], { hasNextPage: false, after: null }, () => ['k', 0]).pageInfo.hasPreviousPage).toBe(false);
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
