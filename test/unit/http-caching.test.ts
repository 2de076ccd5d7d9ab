import { etagOf, httpCacheHeaders, ifNoneMatchHits } from '../../src/cache/http-caching';

const publicAnswer = { credentialed: false, private: false, remainingSeconds: 250.7, tags: ['Product:2', 'Product:1', 'Product:2'] };

describe('ETag and If-None-Match', () => {
  it('equal bytes give equal strong tags, other bytes another', () => {
    expect(etagOf('{"data":1}')).toBe(etagOf('{"data":1}'));
    expect(etagOf('{"data":1}')).not.toBe(etagOf('{"data":2}'));
    expect(etagOf('x')).toMatch(/^"[^"]+"$/);
  });

  it('matches by weak comparison, in lists, and for *', () => {
    const etag = etagOf('x');
    expect(ifNoneMatchHits(etag, etag)).toBe(true);
    expect(ifNoneMatchHits(`W/${etag}`, etag)).toBe(true);
    expect(ifNoneMatchHits(`"a", ${etag} ,"b"`, etag)).toBe(true);
    expect(ifNoneMatchHits('*', etag)).toBe(true);
    expect(ifNoneMatchHits('"a", "b"', etag)).toBe(false);
    expect(ifNoneMatchHits(undefined, etag)).toBe(false);
  });
});

describe('caching headers', () => {
  it('by default: revalidate every time, with the tags named once and sorted', () => {
    expect(httpCacheHeaders(publicAnswer, '"e"')).toEqual([
      ['etag', '"e"'],
      ['cache-control', 'public, no-cache'],
      ['surrogate-key', 'Product:1 Product:2'],
      ['cache-tag', 'Product:1,Product:2'],
    ]);
  });

  it('s-maxage when opted into, never past what the entry has left', () => {
    const control = (sharedMaxAgeSeconds: number, remainingSeconds = publicAnswer.remainingSeconds) =>
      new Map(httpCacheHeaders({ ...publicAnswer, remainingSeconds }, '"e"', { sharedMaxAgeSeconds })).get('cache-control');
    expect(control(60)).toBe('public, max-age=0, s-maxage=60');
    expect(control(3600)).toBe('public, max-age=0, s-maxage=250');
    // An entry about to expire gives no shared lifetime at all.
    expect(control(3600, 0.4)).toBe('public, no-cache');
  });

  it('nothing for shared caches on an answer that depends on who asked', () => {
    for (const answer of [{ ...publicAnswer, credentialed: true }, { ...publicAnswer, private: true }]) {
      expect(httpCacheHeaders(answer, '"e"', { sharedMaxAgeSeconds: 60 })).toEqual([
        ['etag', '"e"'],
        ['cache-control', 'private, no-cache'],
      ]);
    }
  });

  it('tag headers too large for a CDN are left out, not cut', () => {
    const tags = Array.from({ length: 2000 }, (_, i) => `Product:${i}`);
    const names = httpCacheHeaders({ ...publicAnswer, tags }, '"e"').map(([name]) => name);
    expect(names).toEqual(['etag', 'cache-control']);
  });
});
