/**
 * The checker's judge on made-up histories: it must flag what the integration checker is there
 * to catch (a read older than a binding write, a value nobody wrote, a missing addition) and
 * allow exactly what the guarantee allows (concurrent writes, a deferred write on another
 * instance within its window, longer while that instance could not hear Redis). A judge that
 * flags nothing would pass every run of the checker.
 */
import { History, type InstanceName, type Judgement, type StalenessWindow } from '../helpers/checker-history';

// Plain window: 500 + 100 + 400 + 1000 = 2000 ms after a deferred write's acknowledgement.
const WINDOW: StalenessWindow = { publishDelayMs: 500, pollMs: 100, ackTimeoutMs: 400, slackMs: 1000 };

function history(window: StalenessWindow = WINDOW): History {
  const h = new History(window);
  h.seedRegister('price:1', 100);
  h.seedRegister('category:1', 1);
  h.seedRegister('category:2', 2);
  h.seedCounter('stock:1', 10);
  h.seedSet('reviews:1', ['1', '2'], [3, 4]);
  return h;
}

function write(h: History, instance: InstanceName, sentAt: number, ackAt: number, status: 'acknowledged' | 'deferred', apply: (w: ReturnType<History['beginWrite']>) => void) {
  const w = h.beginWrite('test', instance, sentAt);
  apply(w);
  h.endWrite(w, status, ackAt);
  return w;
}

function read(h: History, instance: InstanceName, sentAt: number, answeredAt: number, judge: (j: Judgement) => void): void {
  h.read({ kind: 'test', instance, sentAt, answeredAt }, judge);
}

const rules = (h: History) => h.violations.map((v) => v.rule);

describe('registers', () => {
  it('flag a read sent after an acknowledged write that shows the value before it, on any instance', () => {
    const h = history();
    write(h, 'A', 10, 20, 'acknowledged', (w) => h.assign('price:1', w, 101));
    read(h, 'B', 21, 25, (j) => j.register('price:1', 100));
    read(h, 'A', 21, 25, (j) => j.register('price:1', 101));
    expect(rules(h)).toEqual(['stale']);
    expect(h.violations[0]!.write).toContain('write #1');
  });

  it('allow either value to a read that overlaps the write', () => {
    const h = history();
    const w = h.beginWrite('test', 'A', 10);
    h.assign('price:1', w, 101);
    read(h, 'B', 12, 30, (j) => j.register('price:1', 100));
    read(h, 'B', 13, 31, (j) => j.register('price:1', 101));
    // Judged only once the write has answered: until then its fate is unknown.
    expect(h.stats.readsJudged).toBe(0);
    h.endWrite(w, 'acknowledged', 40);
    expect(h.stats.readsJudged).toBe(2);
    expect(rules(h)).toEqual([]);
  });

  it('flag a value nobody wrote, and one written only after the read answered', () => {
    const h = history();
    read(h, 'A', 1, 2, (j) => j.register('price:1', 555));
    write(h, 'A', 10, 20, 'acknowledged', (w) => h.assign('price:1', w, 101));
    read(h, 'A', 3, 9, (j) => j.register('price:1', 101));
    expect(rules(h)).toEqual(['never-written', 'never-written']);
  });

  it('let another instance serve the value before a deferred write for the window, and no longer; never its writer', () => {
    const h = history();
    write(h, 'A', 0, 1000, 'deferred', (w) => h.assign('price:1', w, 101));
    read(h, 'B', 2900, 2950, (j) => j.register('price:1', 100));
    expect(rules(h)).toEqual([]);
    expect(h.stats.allowedStale).toBe(1);
    read(h, 'B', 3001, 3050, (j) => j.register('price:1', 100));
    read(h, 'A', 1001, 1050, (j) => j.register('price:1', 100));
    expect(rules(h)).toEqual(['stale', 'stale']);
  });

  it('start the window again once a reader that could not hear Redis hears it again, unless strict', () => {
    for (const strict of [false, true]) {
      const h = history({ ...WINDOW, tolerate: { reader: !strict } });
      const heal = h.disturb('B', 'stall', 'stall', 900);
      write(h, 'A', 0, 1000, 'deferred', (w) => h.assign('price:1', w, 101));
      heal(4000);
      // The rows are due by then: a relay's poll and wait, and the slack, after the stall ends.
      read(h, 'B', 5400, 5450, (j) => j.register('price:1', 100));
      read(h, 'B', 5501, 5550, (j) => j.register('price:1', 100));
      expect(rules(h)).toEqual(strict ? ['stale', 'stale'] : ['stale']);
    }
  });

  it('never start it again for the writer\'s own faults, stalled or cut', () => {
    for (const kind of ['stall', 'cut'] as const) {
      const h = history();
      const heal = h.disturb('A', kind, kind, 900);
      write(h, 'A', 0, 1000, 'deferred', (w) => h.assign('price:1', w, 101));
      heal(4000);
      read(h, 'B', 5400, 5450, (j) => j.register('price:1', 100));
      expect(rules(h)).toEqual(['stale']);
    }
  });

  it('judge what a complete category list shows as reads of each product\'s category', () => {
    const h = history();
    write(h, 'A', 10, 20, 'acknowledged', (w) => h.assign('category:1', w, 2));
    read(h, 'B', 30, 40, (j) => j.members(2, [2]));
    read(h, 'B', 30, 40, (j) => j.members(1, [1]));
    read(h, 'B', 30, 40, (j) => j.members(2, [1, 2]));
    expect(rules(h)).toEqual(['stale', 'stale']);
    expect(h.violations.map((v) => v.observed)).toEqual(['"not in category 2"', '"in category 1"']);
  });
});

describe('counters', () => {
  it('flag a value below a binding increment, or one no increment left', () => {
    const h = history();
    const w = h.beginWrite('test', 'A', 10);
    h.increment('stock:1', w).result = 13;
    h.endWrite(w, 'acknowledged', 20);
    read(h, 'B', 15, 18, (j) => j.counter('stock:1', 10));
    read(h, 'B', 25, 30, (j) => j.counter('stock:1', 10));
    read(h, 'B', 25, 30, (j) => j.counter('stock:1', 12));
    expect(rules(h)).toEqual(['stale', 'never-written']);
  });
});

describe('sets of reviews', () => {
  it('flag a count, a mean or a newest page that misses a binding addition', () => {
    const h = history();
    const w = h.beginWrite('test', 'A', 10);
    h.add('reviews:1', w, 5).id = '99';
    h.endWrite(w, 'acknowledged', 20);
    read(h, 'B', 25, 30, (j) => {
      j.count('reviews:1', 3);
      j.mean('reviews:1', 4);
      j.newest('reviews:1', ['99', '2', '1'], 10);
    });
    expect(rules(h)).toEqual([]);
    read(h, 'B', 25, 30, (j) => j.count('reviews:1', 2));
    read(h, 'B', 25, 30, (j) => j.mean('reviews:1', 3.5));
    read(h, 'B', 25, 30, (j) => j.newest('reviews:1', ['2', '1'], 10));
    read(h, 'B', 25, 30, (j) => j.newest('reviews:1', ['98'], 10));
    expect(rules(h)).toEqual(['stale', 'stale', 'missing', 'never-written']);
  });
});

describe('new products', () => {
  it('must be in the newest page once their creation binds, unless enough others may be newer', () => {
    const h = history();
    const w = h.beginWrite('create', 'A', 10);
    const creation = h.beginCreation(w);
    h.created(creation, 7, { 'price:7': 1, 'name:7': 'n', 'category:7': 3 }, { 'stock:7': 0 }, ['reviews:7']);
    h.endWrite(w, 'acknowledged', 20);
    read(h, 'B', 25, 30, (j) => j.newestProducts([7, 2, 1], 50));
    read(h, 'B', 25, 30, (j) => j.newestProducts([2, 1], 50));
    read(h, 'B', 25, 30, (j) => j.newestProducts([2, 1], 0));
    read(h, 'B', 25, 30, (j) => j.members(3, []));
    read(h, 'B', 5, 9, (j) => j.members(3, [7]));
    expect(rules(h)).toEqual(['missing', 'stale', 'never-written']);
  });
});
