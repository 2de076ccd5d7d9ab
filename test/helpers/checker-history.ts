/**
 * The checker's history and its judge: every write with when it was sent and acknowledged, by
 * which instance, and how its invalidation went; every read, judged once every write sent
 * before it answered has answered too (only then are all the values it could show known).
 *
 * The rule: a read sent after a write was acknowledged shows that write or a later one, never an
 * earlier one nor one nobody wrote. A write is *binding* on a read when:
 * - its invalidation was `acknowledged`: at once, on every instance;
 * - it was `deferred`: at once on the instance that wrote it (it dropped what it changed and
 *   reads the database while it owes Redis), and on another instance from its deadline on
 *   (see `deadline`): the README lets other instances serve the old value until a relay
 *   publishes the write's outbox rows.
 *
 * Everything here is pure bookkeeping (no I/O), so the unit tests can drive it with made-up
 * histories and show that it catches what it should.
 */

export type InstanceName = 'A' | 'B';

/**
 * How a write ended. `refused`: the API answered with a client error; nothing was committed.
 * `unknown`: no answer or an internal error; it may have committed, so its value may be seen,
 * but it binds nothing.
 */
export type WriteStatus = 'acknowledged' | 'deferred' | 'refused' | 'unknown';

export interface Write {
  id: number;
  kind: string;
  /** Null: the seed data, there before the run. */
  instance: InstanceName | null;
  sentAt: number;
  /** Infinity until acknowledged (and for writes that never are). */
  ackAt: number;
  status: WriteStatus | undefined;
  /** Why it was deferred, when it was: the faults active while it ran. */
  note?: string;
}

export interface StalenessWindow {
  /** OUTBOX_PUBLISH_DELAY_MS: a row is left to its writer this long. */
  publishDelayMs: number;
  /** OUTBOX_POLL_MS: a relay looks this often. */
  pollMs: number;
  /** CACHE_ACK_TIMEOUT_MS: a relay's publication waits this long for acknowledgements. */
  ackTimeoutMs: number;
  /** Scheduling, SQL and event-loop time on a loaded machine. */
  slackMs: number;
  /**
   * Which faults restart a deferred write's window (see `History.deadline`); default both.
   * Neither: the plain bound after the acknowledgement, whatever happened meanwhile.
   */
  tolerate?: Tolerance;
}

export interface Tolerance {
  /** The reading instance's own faults: a stated limit (it cannot be told while it cannot hear). */
  reader: boolean;
}

/** A span during which an instance could not hear Redis normally (cut, stalled, slowed). */
export interface Disturbance {
  instance: InstanceName;
  kind: 'delay' | 'stall' | 'cut';
  label: string;
  start: number;
  /** Infinity while it lasts. */
  end: number;
}

export interface Violation {
  rule: 'stale' | 'never-written' | 'unknown-object' | 'missing';
  read: string;
  subject: string;
  observed: string;
  expected: string;
  /** The write the read should have shown, or at least. */
  write?: string;
  /** Faults around the write and the read. */
  faults?: string;
  /** The read's own `extensions.cache` (hits and misses by tier). */
  cache?: string;
  /** What the same read showed again with `x-cache-debug`, filled in later by `onViolation`. */
  diagnosis?: string;
}

const SEED: Write = { id: 0, kind: 'seed', instance: null, sentAt: -Infinity, ackAt: -Infinity, status: 'acknowledged' };

/** The value of a product that does not exist yet (before its creation). */
export const ABSENT = Symbol('absent');

interface RegisterEntry {
  value: unknown;
  write: Write;
}

interface CounterEntry {
  write: Write;
  /** The value right after this write, once it answered. */
  result?: number;
}

interface SetEntry {
  write: Write;
  id?: string;
  rating: number;
}

interface GrowSet {
  seedCount: number;
  seedSum: number;
  seedIds: Set<string>;
  entries: SetEntry[];
}

interface Creation {
  write: Write;
  productId?: number;
}

export interface ReadInfo {
  kind: string;
  instance: InstanceName;
  sentAt: number;
  answeredAt: number;
  detail?: string;
  /** The answer's `extensions.cache`, for a violation's report. */
  cache?: unknown;
}

export interface HistoryStats {
  readsJudged: number;
  observations: number;
  /** Reads that showed an older value than a write acknowledged before they were sent, as a deferred write allows. */
  allowedStale: number;
  /** Of those, read after the plain window (`publishDelay + poll + ackTimeout + slack`), allowed because the reader could not hear Redis meanwhile. */
  allowedStaleByReaderFault: number;
  /** The longest such staleness: from the write's acknowledgement to the read's sending. */
  maxAllowedStaleMs: number;
  violations: number;
  /** Membership checks skipped: a list longer than its page. */
  partialLists: number;
}

export class History {
  readonly writes: Write[] = [];
  readonly disturbances: Disturbance[] = [];
  readonly violations: Violation[] = [];
  readonly stats: HistoryStats = {
    readsJudged: 0,
    observations: 0,
    allowedStale: 0,
    allowedStaleByReaderFault: 0,
    maxAllowedStaleMs: 0,
    violations: 0,
    partialLists: 0,
  };
  private readonly registers = new Map<string, RegisterEntry[]>();
  private readonly counters = new Map<string, CounterEntry[]>();
  private readonly sets = new Map<string, GrowSet>();
  private readonly creations: Creation[] = [];
  private readonly inFlight = new Set<Write>();
  private readonly pending: { read: ReadInfo; judge: (judgement: Judgement) => void }[] = [];
  private nextId = 1;

  /** Told of each violation kept in full (to look into it while the state lasts). */
  onViolation?: (violation: Violation, read: ReadInfo) => void;
  /** Deadlines already past when computed: no fault that starts later can move them. */
  private readonly deadlines = new WeakMap<Write, Map<string, number>>();

  constructor(
    readonly window: StalenessWindow,
    /** Violations kept in full; the rest are only counted. */
    private readonly keep = 50,
    /** The clock faults are recorded on (to know which deadlines are final). */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The plain window: from a deferred write's acknowledgement until it binds every instance. */
  get plainWindowMs(): number {
    const w = this.window;
    return w.publishDelayMs + w.pollMs + w.ackTimeoutMs + w.slackMs;
  }

  // ---- the world before the run

  seedRegister(key: string, value: unknown): void {
    this.registers.set(key, [{ value, write: SEED }]);
  }

  seedCounter(key: string, value: number): void {
    this.counters.set(key, [{ write: SEED, result: value }]);
  }

  seedSet(key: string, ids: readonly string[], ratings: readonly number[]): void {
    this.sets.set(key, { seedCount: ids.length, seedSum: ratings.reduce((a, b) => a + b, 0), seedIds: new Set(ids), entries: [] });
  }

  /** A register that comes into being with `write` (a session with its login). */
  open(key: string, write: Write, value: unknown): void {
    this.registers.set(key, [{ value, write }]);
  }

  hasRegister(key: string): boolean {
    return this.registers.has(key);
  }

  /** The value of the last write to `key` that has not been refused (what the writer believes it holds now). */
  lastValue(key: string): unknown {
    const entries = this.registers.get(key) ?? [];
    for (let i = entries.length - 1; i >= 0; i -= 1) if (entries[i]!.write.status !== 'refused') return entries[i]!.value;
    return undefined;
  }

  // ---- faults

  /** Starts a disturbance of `instance` now; call the result with its end once the instance hears Redis again. */
  disturb(instance: InstanceName, kind: Disturbance['kind'], label: string, at: number): (end: number) => void {
    const disturbance: Disturbance = { instance, kind, label, start: at, end: Infinity };
    this.disturbances.push(disturbance);
    return (end) => {
      disturbance.end = end;
      this.process();
    };
  }

  // ---- writes

  beginWrite(kind: string, instance: InstanceName, at: number): Write {
    const write: Write = { id: this.nextId++, kind, instance, sentAt: at, ackAt: Infinity, status: undefined };
    this.writes.push(write);
    this.inFlight.add(write);
    return write;
  }

  /** `write` sets register `key` to `value`. Writes to one register must be made one at a time, in order. */
  assign(key: string, write: Write, value: unknown): void {
    const entries = this.registers.get(key);
    if (!entries) throw new Error(`no register ${key}`);
    entries.push({ value, write });
  }

  /** `write` adds to counter `key`; fill in `result` once it answers. */
  increment(key: string, write: Write): CounterEntry {
    const entry: CounterEntry = { write };
    this.counters.get(key)!.push(entry);
    return entry;
  }

  /** `write` adds an element to set `key`; fill in `id` once it answers. */
  add(key: string, write: Write, rating: number): SetEntry {
    const entry: SetEntry = { write, rating };
    this.sets.get(key)!.entries.push(entry);
    return entry;
  }

  /** `write` creates a product; call `created` with its id and fields once it answers. */
  beginCreation(write: Write): Creation {
    const creation: Creation = { write };
    this.creations.push(creation);
    return creation;
  }

  created(creation: Creation, productId: number, registers: Record<string, unknown>, counters: Record<string, number>, sets: string[]): void {
    creation.productId = productId;
    for (const [key, value] of Object.entries(registers)) {
      this.registers.set(key, [
        { value: ABSENT, write: SEED },
        { value, write: creation.write },
      ]);
    }
    for (const [key, value] of Object.entries(counters)) {
      this.counters.set(key, [{ write: SEED, result: undefined }, { write: creation.write, result: value }]);
    }
    for (const key of sets) this.sets.set(key, { seedCount: 0, seedSum: 0, seedIds: new Set(), entries: [] });
  }

  endWrite(write: Write, status: WriteStatus, at: number, note?: string): void {
    write.status = status;
    write.note = note;
    if (status === 'acknowledged' || status === 'deferred') write.ackAt = at;
    this.inFlight.delete(write);
    this.process();
  }

  // ---- reads

  /** Records a read; `judge` runs once every write sent before it answered has answered. */
  read(read: ReadInfo, judge: (judgement: Judgement) => void): void {
    this.pending.push({ read, judge });
    this.process();
  }

  /** Reads still waiting for writes in flight. */
  get waiting(): number {
    return this.pending.length;
  }

  private process(): void {
    let oldest = Infinity;
    for (const write of this.inFlight) oldest = Math.min(oldest, write.sentAt);
    // Reads are recorded as they answer, so in order of `answeredAt`.
    while (this.pending.length > 0 && this.pending[0]!.read.answeredAt < oldest) {
      const { read, judge } = this.pending.shift()!;
      this.stats.readsJudged += 1;
      judge(new Judgement(this, read));
    }
  }

  // ---- the rule

  committed(write: Write): boolean {
    return write.status === 'acknowledged' || write.status === 'deferred';
  }

  /** Whether `write` binds a read sent by `instance` at `at` (see the header). */
  binds(write: Write, instance: InstanceName, at: number): boolean {
    if (!(write.ackAt < at) || !this.committed(write)) return false;
    if (write.status === 'acknowledged' || write.instance === null || write.instance === instance) return true;
    return at >= this.deadline(write, instance);
  }

  /**
   * From when a deferred write binds `instance` (not its writer). Its rows are due
   * `publishDelay` after the commit (before the acknowledgement); a relay takes them at its next
   * poll and waits at most `ackTimeout` for acknowledgements, all within `slack` of scheduling.
   *
   * Faults that restart that window, from their end (each needs a whole quiet window after it):
   * - `reader`: the reading instance could not hear Redis (cut off, stalled, slowed), so no
   *   relay could tell it; a stated limit (the README: with Redis gone, "the rows wait until
   *   Redis is back"; an instance stalled rather than cut keeps its L1 meanwhile).
   * A writer stalled or slowed is not tolerated: its relay gives back the rows it could not
   * publish and backs off, so a relay that reaches Redis publishes them within the window.
   */
  deadline(write: Write, instance: InstanceName, tolerate: Tolerance = this.window.tolerate ?? { reader: true }): number {
    const cacheKey = `${instance} ${tolerate.reader}`;
    const known = this.deadlines.get(write)?.get(cacheKey);
    if (known !== undefined) return known;
    const { publishDelayMs, pollMs, ackTimeoutMs, slackMs } = this.window;
    const span = pollMs + ackTimeoutMs + slackMs;
    const counted = this.disturbances.filter((d) => tolerate.reader && d.instance === instance);
    let from = write.ackAt + publishDelayMs;
    for (;;) {
      const overlapping = counted.filter((d) => d.start < from + span && d.end > from);
      if (overlapping.length === 0) break;
      from = Math.max(...overlapping.map((d) => d.end));
    }
    const deadline = from + span;
    if (deadline < this.clock()) {
      const cache = this.deadlines.get(write) ?? new Map<string, number>();
      cache.set(cacheKey, deadline);
      this.deadlines.set(write, cache);
    }
    return deadline;
  }

  describeWrite(write: Write): string {
    if (write === SEED) return 'the seed data';
    const status = write.status === 'deferred' ? `deferred${write.note ? ` (${write.note})` : ''}` : write.status;
    return `write #${write.id} ${write.kind} via ${write.instance}, sent ${ms(write.sentAt)}, acknowledged ${ms(write.ackAt)}, ${status}`;
  }

  /** The faults that overlap [from, to], for a violation's report. */
  faultsBetween(from: number, to: number): string {
    const overlapping = this.disturbances.filter((d) => d.start <= to && d.end >= from);
    if (overlapping.length === 0) return 'none';
    return overlapping.map((d) => `${d.label} on ${d.instance} ${ms(d.start)}..${d.end === Infinity ? 'now' : ms(d.end)}`).join('; ');
  }

  report(violation: Violation, read: ReadInfo): void {
    this.stats.violations += 1;
    if (this.violations.length >= this.keep) return;
    this.violations.push(violation);
    this.onViolation?.(violation, read);
  }

  // Internal accessors for Judgement.
  registerOf(key: string) {
    return this.registers.get(key);
  }
  counterOf(key: string) {
    return this.counters.get(key);
  }
  setOf(key: string) {
    return this.sets.get(key);
  }
  get allCreations(): readonly Creation[] {
    return this.creations;
  }
  /** Whether a creation sent before `at` may have made a product whose id is unknown (it never answered). */
  hasUnsettledCreations(at: number): boolean {
    return this.creations.some((c) => c.productId === undefined && c.write.sentAt < at && c.write.status !== 'refused');
  }

  /** Product ids the history knows (seeded or created), from the category registers. */
  knownProducts(): number[] {
    return [...this.registers.keys()].filter((key) => key.startsWith('category:')).map((key) => Number(key.slice('category:'.length)));
  }
}

export function ms(t: number): string {
  return `${Math.round(t)}ms`;
}

/** One read's judgement: each `check` compares something the read showed with the history. */
export class Judgement {
  constructor(
    private readonly history: History,
    readonly read: ReadInfo,
  ) {}

  private get label(): string {
    const { kind, instance, sentAt, answeredAt, detail } = this.read;
    return `${kind}${detail ? ` ${detail}` : ''} via ${instance}, sent ${ms(sentAt)}, answered ${ms(answeredAt)}`;
  }

  private binds(write: Write): boolean {
    return this.history.binds(write, this.read.instance, this.read.sentAt);
  }

  /** Counts a read that showed a value older than a write acknowledged before it was sent, as allowed. */
  private allowedStale(newest: Write): void {
    const h = this.history;
    h.stats.allowedStale += 1;
    const lag = this.read.sentAt - newest.ackAt;
    h.stats.maxAllowedStaleMs = Math.max(h.stats.maxAllowedStaleMs, lag);
    const { instance, sentAt } = this.read;
    if (newest.instance === null || sentAt < h.deadline(newest, instance, { reader: false })) return;
    h.stats.allowedStaleByReaderFault += 1;
  }

  private violation(rule: Violation['rule'], subject: string, observed: unknown, expected: string, write?: Write): void {
    const h = this.history;
    h.report({
      rule,
      read: this.label,
      subject,
      observed: show(observed),
      expected,
      ...(write ? { write: h.describeWrite(write) } : {}),
      faults: h.faultsBetween(Math.min(write?.sentAt ?? this.read.sentAt, this.read.sentAt) - 1000, this.read.answeredAt),
      ...(this.read.cache ? { cache: JSON.stringify(this.read.cache) } : {}),
    }, this.read);
  }

  /**
   * The read showed register `key` satisfying `matches` (a value, or a predicate over values
   * for what a list shows). Some write from the newest binding one on, sent before the read
   * answered, must match.
   */
  register(key: string, matches: unknown | ((value: unknown) => boolean), observed: unknown = matches): void {
    const h = this.history;
    const entries = h.registerOf(key);
    h.stats.observations += 1;
    if (!entries) return this.violation('unknown-object', key, observed, 'an object the history knows');
    const test = typeof matches === 'function' ? (matches as (value: unknown) => boolean) : (value: unknown) => value === matches;
    // Writes to a register are serialized, so entries are in the order they were sent and
    // acknowledged: from the newest back, the first binding one is the floor.
    let floor = 0;
    let newest = -1;
    let ceiling = -1;
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const { write } = entries[i]!;
      if (write.status === 'refused') continue;
      if (ceiling < 0 && write.sentAt < this.read.answeredAt) ceiling = i;
      if (!h.committed(write) || !(write.ackAt < this.read.sentAt)) continue;
      if (newest < 0) newest = i;
      if (this.binds(write)) {
        floor = i;
        break;
      }
    }
    ceiling = Math.max(ceiling, floor);
    newest = Math.max(newest, floor);
    const possible = (i: number) => entries[i]!.write.status !== 'refused' && test(entries[i]!.value);
    for (let i = ceiling; i >= floor; i -= 1) {
      if (!possible(i)) continue;
      if (i < newest) this.allowedStale(entries[newest]!.write);
      return;
    }
    for (let i = floor - 1; i >= 0; i -= 1) {
      if (possible(i)) {
        const shown = entries[i]!.write;
        return this.violation('stale', key, observed, `${show(entries[floor]!.value)} or later (it showed the value of ${h.describeWrite(shown)})`, entries[floor]!.write);
      }
    }
    this.violation('never-written', key, observed, `one of ${entries.slice(floor, ceiling + 1).map((e) => show(e.value)).join(', ')}`);
  }

  /** The read showed counter `key` (it only grows; each write's answer says its value after). */
  counter(key: string, value: number): void {
    const h = this.history;
    const entries = h.counterOf(key);
    h.stats.observations += 1;
    if (!entries) return this.violation('unknown-object', key, value, 'an object the history knows');
    let floor: CounterEntry | undefined;
    let newest: CounterEntry | undefined;
    let existed = false;
    let unknowable = false;
    // From the newest back: the highest binding result is usually met first, and then no older
    // entry needs its (costlier) binding checked.
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const entry = entries[i]!;
      const { write } = entry;
      if (write.sentAt < this.read.answeredAt) {
        if (entry.result === value && h.committed(write)) existed = true;
        if (write.status === 'unknown') unknowable = true;
      }
      if (entry.result === undefined || !h.committed(write) || !(write.ackAt < this.read.sentAt)) continue;
      if (!newest || entry.result > newest.result!) newest = entry;
      if ((!floor || entry.result > floor.result!) && this.binds(write)) floor = entry;
    }
    if (!existed && !unknowable) {
      const possible = entries.filter((e) => e.result !== undefined && h.committed(e.write) && e.write.sentAt < this.read.answeredAt && e.result >= (floor?.result ?? -Infinity));
      return this.violation('never-written', key, value, `one of ${possible.map((e) => e.result).join(', ')}`);
    }
    if (floor && value < floor.result!) {
      return this.violation('stale', key, value, `${floor.result} or more`, floor.write);
    }
    if (newest && value < newest.result!) this.allowedStale(newest.write);
  }

  /** The bounds on how many elements set `key` holds, as this read may see it. */
  private setBounds(key: string) {
    const h = this.history;
    const set = h.setOf(key);
    if (!set) return undefined;
    let min = set.seedCount;
    let newestMin = set.seedCount;
    let max = set.seedCount;
    let unbound: Write | undefined;
    for (const entry of set.entries) {
      const { write } = entry;
      if (write.sentAt < this.read.answeredAt && write.status !== 'refused') max += 1;
      if (!h.committed(write) || !(write.ackAt < this.read.sentAt)) continue;
      newestMin += 1;
      if (this.binds(write)) {
        min += 1;
      } else if (!unbound || write.ackAt > unbound.ackAt) unbound = write;
    }
    return { set, min, max, newestMin, unbound };
  }

  /** The newest addition to set `key` that binds this read (for a report). */
  private newestBinding(key: string): Write | undefined {
    const entries = this.history.setOf(key)?.entries ?? [];
    return entries.filter((e) => this.history.committed(e.write) && this.binds(e.write)).at(-1)?.write;
  }

  /** The read showed that set `key` holds `count` elements. */
  count(key: string, count: number): void {
    this.history.stats.observations += 1;
    const bounds = this.setBounds(key);
    if (!bounds) return this.violation('unknown-object', key, count, 'an object the history knows');
    const { min, max, newestMin, unbound } = bounds;
    if (count < min) return this.violation('stale', key, count, `at least ${min} (every binding addition)`, this.newestBinding(key));
    if (count > max) return this.violation('never-written', key, count, `at most ${max} (every addition sent before the answer)`);
    if (count < newestMin && unbound) this.allowedStale(unbound);
  }

  /**
   * The read showed the mean rating of set `key`: with every added element rated the same,
   * the mean tells how many were added.
   */
  mean(key: string, mean: number | null): void {
    this.history.stats.observations += 1;
    const bounds = this.setBounds(key);
    if (!bounds) return this.violation('unknown-object', key, mean, 'an object the history knows');
    const { set, min, max } = bounds;
    const rating = set.entries[0]?.rating ?? 5;
    const meanOf = (n: number) => (n === 0 ? null : (set.seedSum + rating * (n - set.seedCount)) / n);
    const fits = (n: number) => {
      const expected = meanOf(n);
      return expected === null || mean === null ? expected === mean : Math.abs(expected - mean) < 1e-9;
    };
    for (let n = min; n <= max; n += 1) if (fits(n)) return;
    for (let n = set.seedCount; n < min; n += 1) {
      if (fits(n)) return this.violation('stale', key, mean, `the mean of at least ${min} reviews, ${show(meanOf(min))}`, this.newestBinding(key));
    }
    this.violation('never-written', key, mean, `the mean of ${min} to ${max} reviews`);
  }

  /**
   * The read showed the newest `first` elements of set `key` (newest first by creation time):
   * each must exist, and every binding addition must be among them unless `first` others may
   * be newer.
   */
  newest(key: string, ids: readonly string[], first: number): void {
    const h = this.history;
    h.stats.observations += 1;
    const set = h.setOf(key);
    if (!set) return this.violation('unknown-object', key, ids, 'an object the history knows');
    const shown = new Set(ids);
    const mayExist = new Set(set.seedIds);
    let unknowable = false;
    for (const entry of set.entries) {
      if (entry.write.sentAt >= this.read.answeredAt || entry.write.status === 'refused') continue;
      if (entry.id) mayExist.add(entry.id);
      else unknowable = true;
    }
    for (const id of ids) {
      if (!mayExist.has(id) && !unknowable) return this.violation('never-written', `${key} element ${id}`, ids, 'elements added before the answer');
    }
    for (const entry of set.entries) {
      if (!entry.id || !h.committed(entry.write) || !this.binds(entry.write) || shown.has(entry.id)) continue;
      if (this.mayBeNewer(set.entries, entry.write) < first) {
        return this.violation('missing', key, ids, `element ${entry.id} among the newest ${first}`, entry.write);
      }
    }
  }

  /** How many writes among `writes` other than `write` may have been created after it and before the read answered. */
  private mayBeNewer(entries: readonly { write: Write }[], write: Write): number {
    return entries.filter((other) => other.write !== write && other.write.status !== 'refused' && other.write.sentAt < this.read.answeredAt && !(other.write.ackAt < write.sentAt)).length;
  }

  /**
   * The read showed the newest `first` products of the whole catalog: every binding creation
   * is among them unless `first` other products may be newer.
   */
  newestProducts(ids: readonly number[], first: number): void {
    const h = this.history;
    h.stats.observations += 1;
    const shown = new Set(ids);
    const creations = h.allCreations;
    for (const creation of creations) {
      if (creation.productId === undefined || !this.binds(creation.write) || shown.has(creation.productId)) continue;
      if (this.mayBeNewer(creations, creation.write) < first) {
        return this.violation('missing', `Product:list:order:NEWEST`, ids, `product ${creation.productId} among the newest ${first}`, creation.write);
      }
    }
  }

  /**
   * The read showed the complete list of category `categoryId`'s products: for every product
   * the history knows, whether it is in the list is a read of its category.
   */
  members(categoryId: number, ids: readonly number[]): void {
    const h = this.history;
    const known = new Set(h.knownProducts());
    const unknowable = h.hasUnsettledCreations(this.read.answeredAt);
    for (const id of ids) {
      if (!known.has(id) && !unknowable) this.violation('never-written', `Category:${categoryId}:products`, id, 'products created before the answer');
    }
    const shown = new Set(ids);
    for (const id of known) {
      const member = shown.has(id);
      this.register(`category:${id}`, (value: unknown) => (value === categoryId) === member, member ? `in category ${categoryId}` : `not in category ${categoryId}`);
    }
  }

  /** Counts a list whose membership could not be judged (longer than its page). */
  partial(): void {
    this.history.stats.partialLists += 1;
  }
}

function show(value: unknown): string {
  if (value === ABSENT) return '(not created)';
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
