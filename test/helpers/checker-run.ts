/**
 * The checker's workload: clients that read and write at random through instance A or B, and a
 * nemesis that slows, stalls and cuts each instance's connection to Redis, all recorded in a
 * `History` that judges every read (see checker-history.ts).
 *
 * Every random choice comes from one seed: each client and the nemesis draw from streams of
 * their own, and no choice depends on another's timing, so a seed replays the same operations
 * (per client, in order) and the same faults; how they interleave, and so what each read
 * meets, depends on the machine.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import type { Dataset } from '../../src/db/seed/dataset';
import type { History, InstanceName, Judgement, ReadInfo, Write, WriteStatus } from './checker-history';
import { benchDocument } from './documents';
import type { GraphQLResponse, TestInstance } from './server';
import type { TcpProxy } from './tcp-proxy';
import { until } from './until';

/** A 32-bit PRNG (mulberry32): small, fast, and the same everywhere. */
export function randomStream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed of its own for stream `n`, so streams do not move in step. */
function streamSeed(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The document with `nodes(ids: [])` added at its root: the same reads through the same
 * field and entity caches, but never stored or served as a whole response (an operation that
 * selects `nodes` is not cached whole).
 */
export function notWhole(document: string): string {
  const parsed = parse(document);
  const operation = parsed.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const nodes = (parse('{ nodes(ids: []) { __typename } }').definitions[0] as OperationDefinitionNode).selectionSet.selections[0]!;
  return print({
    ...parsed,
    definitions: parsed.definitions.map((d) => (d === operation ? { ...operation, selectionSet: { ...operation.selectionSet, selections: [...operation.selectionSet.selections, nodes] } } : d)),
  });
}

const PRODUCT_PAGE = benchDocument('product-page');
const CATALOG = benchDocument('catalog');
const ME = benchDocument('me');
const LOGIN = benchDocument('login');
const ADD_REVIEW = benchDocument('add-review');
const CATEGORY_LIST = `query ($id: ID!) {
  category(id: $id) { id products(first: 100) { edges { node { id name priceCents stock category { id } } } pageInfo { hasNextPage } } }
}`;
const UPDATE_PRODUCT = 'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }';
const ADJUST_STOCK = 'mutation ($id: ID!, $delta: Int!) { adjustStock(id: $id, delta: $delta) { id stock } }';
const CREATE_PRODUCT = 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }';
const LOGOUT = 'mutation { logout }';

/** What a client does, and how often (relative weights). Reads outnumber writes, as in a shop. */
const OPERATIONS = {
  productPage: 26,
  catalog: 8,
  catalogOfCategory: 8,
  categoryList: 12,
  me: 7,
  meLoggedOut: 3,
  price: 10,
  stock: 7,
  review: 6,
  move: 4,
  create: 1.5,
  logout: 2,
  reviewLoggedOut: 0.5,
} as const;
type Operation = keyof typeof OPERATIONS;

type FaultKind = 'delay' | 'stall' | 'cut';
type FaultTarget = InstanceName | 'both';
/** Reply delays the nemesis picks: under the command timeout, between it and the acknowledgement timeout, past both. */
const DELAYS_MS = [40, 120, 300, 600, 1000];

export interface CheckerOptions {
  seed: number;
  durationMs: number;
  clients: number;
  instances: Record<InstanceName, TestInstance>;
  proxies: Record<InstanceName, TcpProxy>;
  dataset: Dataset;
  /** An ADMIN's token, for the back-office writes; never signed out. */
  adminToken: string;
  history: History;
  /** Seed products all clients favour, so reads meet writes often. */
  hotProducts?: number;
  /** Longest fault, in ms (default 2500). */
  maxFaultMs?: number;
  /** False: no faults at all (to tell a race from a fault's effect). */
  nemesis?: boolean;
  /**
   * True: the product page, catalog and category documents are sent as they are, so whole
   * responses are cached, stored and served too. False (default): each with `nodes(ids: [])`
   * added (see `notWhole`), which the response tier never stores.
   */
  wholeResponses?: boolean;
  /** Cap on products created per client (categories stay short enough to read whole). */
  maxCreatesPerClient?: number;
}

export interface CheckerReport {
  seed: number;
  seconds: number;
  operations: Record<string, Record<InstanceName, number>>;
  writes: Record<string, Record<WriteStatus, number>>;
  faults: Record<string, number>;
  faultMs: number;
  /** Write invalidations that came back without `extensions.cache.invalidation`. */
  unreported: number;
  /** Deferred writes during which no fault was active: an acknowledgement late on a busy machine. */
  deferredWithoutFault: number;
  unexpected: string[];
  slowestMs: number;
  eventLoopDelayMaxMs: number;
  eventLoopDelayP99Ms: number;
  finalReads: number;
}

/** Seeds the history with the data set's products, reviews and the admin's session. */
export function seedHistory(history: History, dataset: Dataset, adminToken: string): void {
  const reviews = new Map<number, { ids: string[]; ratings: number[] }>();
  for (const review of dataset.reviews) {
    const entry = reviews.get(review.productId) ?? { ids: [], ratings: [] };
    entry.ids.push(String(review.id));
    entry.ratings.push(review.rating);
    reviews.set(review.productId, entry);
  }
  for (const product of dataset.products) {
    history.seedRegister(`price:${product.id}`, product.priceCents);
    history.seedRegister(`name:${product.id}`, product.name);
    history.seedRegister(`category:${product.id}`, product.categoryId);
    history.seedCounter(`stock:${product.id}`, product.stock);
    const own = reviews.get(product.id) ?? { ids: [], ratings: [] };
    history.seedSet(`reviews:${product.id}`, own.ids, own.ratings);
  }
  history.seedRegister(`session:${adminToken}`, 'alive');
}

interface Sent {
  sentAt: number;
  answeredAt: number;
  response?: GraphQLResponse;
  error?: unknown;
}

/** Judges what a product node shows: each field is a read of its register. */
export function judgeProduct(history: History, j: Judgement, node: any, reviewsFirst: number): void {
  const id = Number(node.id);
  if (!history.hasRegister(`price:${id}`) && history.hasUnsettledCreations(j.read.answeredAt)) return;
  if ('priceCents' in node) j.register(`price:${id}`, node.priceCents);
  if ('name' in node) j.register(`name:${id}`, node.name);
  if ('stock' in node) j.counter(`stock:${id}`, node.stock);
  if (node.category) j.register(`category:${id}`, Number(node.category.id));
  if ('reviewCount' in node) j.count(`reviews:${id}`, node.reviewCount);
  if ('averageRating' in node) j.mean(`reviews:${id}`, node.averageRating);
  if (node.reviews) {
    j.newest(`reviews:${id}`, node.reviews.edges.map((edge: any) => String(edge.node.id)), reviewsFirst);
    if ('totalCount' in node.reviews) j.count(`reviews:${id}`, node.reviews.totalCount);
  }
}

export async function runChecker(options: CheckerOptions): Promise<CheckerReport> {
  const { history, instances, proxies, dataset, adminToken, seed } = options;
  const documents = options.wholeResponses
    ? { page: PRODUCT_PAGE, catalog: CATALOG, category: CATEGORY_LIST }
    : { page: notWhole(PRODUCT_PAGE), catalog: notWhole(CATALOG), category: notWhole(CATEGORY_LIST) };
  const maxFaultMs = options.maxFaultMs ?? 2500;
  const maxCreates = options.maxCreatesPerClient ?? 25;
  const categories = dataset.categories.map((c) => c.id);
  const seedProducts = dataset.products.map((p) => p.id);
  const customers = dataset.users.filter((u) => u.role === 'CUSTOMER').map((u) => u.id);

  const report: CheckerReport = {
    seed,
    seconds: options.durationMs / 1000,
    operations: {},
    writes: {},
    faults: {},
    faultMs: 0,
    unreported: 0,
    deferredWithoutFault: 0,
    unexpected: [],
    slowestMs: 0,
    eventLoopDelayMaxMs: 0,
    eventLoopDelayP99Ms: 0,
    finalReads: 0,
  };
  const unexpected = (what: string) => {
    if (report.unexpected.length < 50) report.unexpected.push(`${Math.round(now())}ms ${what}`);
  };
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();

  const setupRandom = randomStream(streamSeed(seed, 1000));
  const hot = Array.from({ length: options.hotProducts ?? 10 }, () => seedProducts[Math.floor(setupRandom() * seedProducts.length)]!);

  let stopping = false;
  let sequence = 0;
  const locks = new Map<number, Promise<void>>();
  /** Writes to one product's fields go one at a time, so the order they commit in is the order they were sent in. */
  async function withLock<T>(productId: number, run: () => Promise<T>): Promise<T> {
    const before = locks.get(productId) ?? Promise.resolve();
    let release!: () => void;
    const mine = before.then(() => new Promise<void>((resolve) => (release = resolve)));
    locks.set(productId, mine);
    await before;
    try {
      return await run();
    } finally {
      release();
      if (locks.get(productId) === mine) locks.delete(productId);
    }
  }

  async function send(instance: InstanceName, query: string, variables: Record<string, unknown>, token: string | undefined, sentAt = now()): Promise<Sent> {
    try {
      const response = await instances[instance].request(query, variables, { token });
      const answeredAt = now();
      report.slowestMs = Math.max(report.slowestMs, answeredAt - sentAt);
      return { sentAt, answeredAt, response };
    } catch (error) {
      return { sentAt, answeredAt: now(), error };
    }
  }

  const count = (operation: string, instance: InstanceName) => {
    report.operations[operation] ??= { A: 0, B: 0 };
    report.operations[operation][instance] += 1;
  };

  /** Ends `write` as its answer says, and judges what the answer tells of the token's session. */
  function finishWrite(write: Write, sent: Sent, token: string, options: { loggedOut?: boolean } = {}): WriteStatus {
    let status: WriteStatus;
    let accepted: boolean | undefined;
    const errors = sent.response?.body.errors;
    if (sent.error || !sent.response) {
      status = 'unknown';
      unexpected(`${write.kind} via ${write.instance}: no answer (${String(sent.error)})`);
    } else if (errors?.length) {
      const code = errors[0]!.extensions?.code;
      if (code === 'UNAUTHENTICATED') accepted = false;
      status = ['UNAUTHENTICATED', 'BAD_USER_INPUT', 'FORBIDDEN', 'NOT_FOUND'].includes(String(code)) ? 'refused' : 'unknown';
      if (!(options.loggedOut && code === 'UNAUTHENTICATED')) unexpected(`${write.kind} via ${write.instance}: ${JSON.stringify(errors)}`);
    } else {
      accepted = true;
      const invalidation = sent.response.body.extensions?.cache?.invalidation as { status?: string } | undefined;
      if (!invalidation) report.unreported += 1;
      status = invalidation?.status === 'deferred' ? 'deferred' : 'acknowledged';
    }
    const faults = history.faultsBetween(sent.sentAt, sent.answeredAt);
    if (status === 'deferred' && faults === 'none') report.deferredWithoutFault += 1;
    const note = status === 'deferred' ? `faults: ${faults}` : undefined;
    history.endWrite(write, status, sent.answeredAt, note);
    report.writes[write.kind] ??= { acknowledged: 0, deferred: 0, refused: 0, unknown: 0 };
    report.writes[write.kind][status] += 1;
    if (accepted !== undefined) {
      // The request itself read the token's session: accepted, or refused as signed out.
      history.read({ kind: `${write.kind} (its session)`, instance: write.instance!, sentAt: sent.sentAt, answeredAt: sent.answeredAt }, (j) =>
        j.register(`session:${token}`, accepted ? 'alive' : 'ended'),
      );
    }
    return status;
  }

  /** How to send each read again, for a violation's diagnosis. */
  const repeatable = new WeakMap<ReadInfo, { query: string; variables: Record<string, unknown>; token?: string }>();
  const diagnoses: Promise<void>[] = [];
  const previous = history.onViolation;
  history.onViolation = (violation, read) => {
    previous?.(violation, read);
    const again = repeatable.get(read);
    if (!again || diagnoses.length >= 10) return;
    diagnoses.push(
      diagnose(read.instance, again, violation.subject).then(
        (text) => void (violation.diagnosis = text),
        (error: unknown) => void (violation.diagnosis = `could not read again: ${String(error)}`),
      ),
    );
  };

  /**
   * Sends the read again at once with `x-cache-debug`: which entries it meets now (tier, tags,
   * time left) for the object in question, and what it shows of it.
   */
  async function diagnose(instance: InstanceName, again: { query: string; variables: Record<string, unknown>; token?: string }, subject: string): Promise<string> {
    const sentAt = now();
    const response = await instances[instance].request(again.query, again.variables, { token: again.token, headers: { 'x-cache-debug': '1' } });
    const id = subject.split(':')[1];
    const relevant = (tags: string[]) => tags.some((tag) => tag === `Product:${id}` || tag.startsWith(`Product:${id}:`) || tag.endsWith(':products'));
    const entries = ((response.body.extensions?.cacheDebug?.entries ?? []) as any[])
      .filter((entry) => entry.source === 'response' || entry.source === 'Session' || relevant(entry.tags ?? []))
      .map((entry) => `${entry.source} ${entry.tier}${entry.stale ? ' stale' : ''} ttl ${entry.ttlLeftSeconds === null ? '-' : Math.round(entry.ttlLeftSeconds)}s [${(entry.tags ?? []).filter((tag: string) => relevant([tag])).join(' ')}]${entry.notStored ? ` (${entry.notStored})` : ''}`);
    const shown: unknown[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(walk);
      if (!value || typeof value !== 'object') return;
      const object = value as Record<string, unknown>;
      if (object.id === id && ('priceCents' in object || 'stock' in object)) {
        shown.push(Object.fromEntries(Object.entries(object).filter(([, v]) => v === null || typeof v !== 'object' || (v as any).id)));
      }
      Object.values(object).forEach(walk);
    };
    walk(response.body.data);
    return `read again via ${instance} at ${Math.round(sentAt)}ms: shows ${JSON.stringify(shown)}; entries: ${entries.join('; ') || 'none relevant'}`;
  }

  /** Records a read's answer for judging, or an unexpected failure. */
  function recordRead(
    kind: string,
    instance: InstanceName,
    sent: Sent,
    detail: string,
    again: { query: string; variables: Record<string, unknown>; token?: string },
    judge: (j: Judgement, data: any) => void,
  ): void {
    const errors = sent.response?.body.errors;
    if (sent.error || !sent.response || errors?.length || !sent.response.body.data) {
      unexpected(`${kind} ${detail} via ${instance}: ${sent.error ? String(sent.error) : JSON.stringify(errors ?? sent.response?.body)}`);
      return;
    }
    const data = sent.response.body.data;
    const read: ReadInfo = { kind, instance, sentAt: sent.sentAt, answeredAt: sent.answeredAt, detail, cache: sent.response.body.extensions?.cache };
    repeatable.set(read, again);
    history.read(read, (j) => judge(j, data));
  }

  // ---- reads, shared by the clients and the final sweep

  async function readProductPage(instance: InstanceName, productId: number, token?: string): Promise<void> {
    const variables = { id: String(productId) };
    const sent = await send(instance, documents.page, variables, token);
    recordRead('productPage', instance, sent, `product ${productId}`, { query: documents.page, variables, token }, (j, data) => {
      if (!data.product) return j.register(`price:${productId}`, null, 'no product');
      judgeProduct(history, j, data.product, 10);
    });
  }

  async function readCatalog(instance: InstanceName, categoryId: number | undefined, token?: string): Promise<void> {
    const variables = { first: 50, ...(categoryId ? { categoryId: String(categoryId) } : {}) };
    const sent = await send(instance, documents.catalog, variables, token);
    recordRead(categoryId ? 'catalogOfCategory' : 'catalog', instance, sent, categoryId ? `category ${categoryId}` : '', { query: documents.catalog, variables, token }, (j, data) => {
      const nodes = data.products.edges.map((edge: any) => edge.node);
      for (const node of nodes) judgeProduct(history, j, node, 3);
      const ids = nodes.map((node: any) => Number(node.id));
      if (!categoryId) j.newestProducts(ids, 50);
      else if (!data.products.pageInfo.hasNextPage) j.members(categoryId, ids);
      else j.partial();
    });
  }

  async function readCategory(instance: InstanceName, categoryId: number, token?: string): Promise<void> {
    const variables = { id: String(categoryId) };
    const sent = await send(instance, documents.category, variables, token);
    recordRead('categoryList', instance, sent, `category ${categoryId}`, { query: documents.category, variables, token }, (j, data) => {
      const nodes = data.category.products.edges.map((edge: any) => edge.node);
      for (const node of nodes) judgeProduct(history, j, node, 0);
      if (!data.category.products.pageInfo.hasNextPage) j.members(categoryId, nodes.map((node: any) => Number(node.id)));
      else j.partial();
    });
  }

  // ---- clients

  async function client(index: number): Promise<void> {
    const random = randomStream(streamSeed(seed, index));
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const instance = (): InstanceName => (random() < 0.5 ? 'A' : 'B');
    const users = customers.filter((_, i) => i % options.clients === index);
    let nextUser = 0;
    const created: number[] = [];
    const loggedOut: { token: string; userId: number }[] = [];
    const weights = Object.entries(OPERATIONS) as [Operation, number][];
    const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
    const chooseOperation = (): Operation => {
      let r = random() * total;
      for (const [operation, weight] of weights) if ((r -= weight) < 0) return operation;
      return weights[0]![0];
    };
    const product = (): number => {
      const r = random();
      if (r < 0.6) return pick(hot);
      if (r < 0.9 || created.length === 0) return pick(seedProducts);
      return pick(created);
    };

    async function login(): Promise<{ token: string; userId: number }> {
      const userId = users[nextUser++ % users.length]!;
      const via = instance();
      count('login', via);
      const write = history.beginWrite('login', via, now());
      const sent = await send(via, LOGIN, { email: `user${userId}@example.com`, password: 'storefront' }, undefined, write.sentAt);
      const token = sent.response?.body.data?.login?.token as string | undefined;
      if (!token) {
        history.endWrite(write, 'unknown', sent.answeredAt);
        throw new Error(`login of user ${userId} failed: ${JSON.stringify(sent.response?.body ?? String(sent.error))}`);
      }
      history.open(`session:${token}`, write, 'alive');
      history.endWrite(write, 'acknowledged', sent.answeredAt);
      return { token, userId };
    }

    let session = await login();
    while (!stopping) {
      const operation = chooseOperation();
      const via = instance();
      const token = random() < 0.3 ? session.token : undefined;
      count(operation === 'create' && created.length >= maxCreates ? 'create (over the cap, skipped)' : operation, via);
      switch (operation) {
        case 'productPage':
          await readProductPage(via, product(), token);
          break;
        case 'catalog':
          await readCatalog(via, undefined, token);
          break;
        case 'catalogOfCategory':
          await readCatalog(via, pick(categories), token);
          break;
        case 'categoryList':
          await readCategory(via, pick(categories), token);
          break;
        case 'me':
        case 'meLoggedOut': {
          const who = operation === 'me' || loggedOut.length === 0 ? session : pick(loggedOut);
          const sent = await send(via, ME, {}, who.token);
          recordRead(operation, via, sent, `user ${who.userId}`, { query: ME, variables: {}, token: who.token }, (j, data) => {
            const me = data.me as { id: string } | null;
            j.register(`session:${who.token}`, me === null ? 'ended' : me.id === String(who.userId) ? 'alive' : `signed in as user ${me.id}`);
          });
          break;
        }
        case 'price': {
          const id = product();
          const rename = random() < 0.25;
          await withLock(id, async () => {
            const priceCents = 1_000_000 + ++sequence;
            const name = rename ? `Checked ${id} v${sequence}` : undefined;
            const write = history.beginWrite(rename ? 'price+name' : 'price', via, now());
            history.assign(`price:${id}`, write, priceCents);
            if (name) history.assign(`name:${id}`, write, name);
            const sent = await send(via, UPDATE_PRODUCT, { id: String(id), input: { priceCents, ...(name ? { name } : {}) } }, adminToken, write.sentAt);
            finishWrite(write, sent, adminToken);
          });
          break;
        }
        case 'move': {
          const id = product();
          const target = pick(categories);
          await withLock(id, async () => {
            // A move to where it already is changes nothing and announces nothing: go elsewhere.
            const current = history.lastValue(`category:${id}`);
            const categoryId = target === current ? categories[(categories.indexOf(target) + 1) % categories.length]! : target;
            const write = history.beginWrite('move', via, now());
            history.assign(`category:${id}`, write, categoryId);
            const sent = await send(via, UPDATE_PRODUCT, { id: String(id), input: { categoryId: String(categoryId) } }, adminToken, write.sentAt);
            finishWrite(write, sent, adminToken);
          });
          break;
        }
        case 'stock': {
          const id = product();
          const delta = 1 + Math.floor(random() * 20);
          const write = history.beginWrite('stock', via, now());
          const entry = history.increment(`stock:${id}`, write);
          const sent = await send(via, ADJUST_STOCK, { id: String(id), delta }, adminToken, write.sentAt);
          entry.result = sent.response?.body.data?.adjustStock?.stock;
          finishWrite(write, sent, adminToken);
          break;
        }
        case 'review':
        case 'reviewLoggedOut': {
          const id = product();
          const author = operation === 'review' || loggedOut.length === 0 ? session : pick(loggedOut);
          const write = history.beginWrite(operation, via, now());
          const entry = history.add(`reviews:${id}`, write, 5);
          const sent = await send(via, ADD_REVIEW, { productId: String(id), rating: 5, body: `Checked by client ${index}.` }, author.token, write.sentAt);
          entry.id = sent.response?.body.data?.addReview?.id;
          finishWrite(write, sent, author.token, { loggedOut: author !== session });
          break;
        }
        case 'create': {
          const categoryId = pick(categories);
          const stock = Math.floor(random() * 50);
          if (created.length >= maxCreates) break;
          const n = created.length + 1;
          const priceCents = 1_000_000 + ++sequence;
          const name = `Checker ${index}-${n}`;
          const write = history.beginWrite('create', via, now());
          const creation = history.beginCreation(write);
          const input = { sku: `CHK-${seed}-${index}-${n}`, name, priceCents, stock, categoryId: String(categoryId) };
          const sent = await send(via, CREATE_PRODUCT, { input }, adminToken, write.sentAt);
          const newId = Number(sent.response?.body.data?.createProduct?.id);
          if (Number.isInteger(newId) && newId > 0) {
            history.created(
              creation,
              newId,
              { [`price:${newId}`]: priceCents, [`name:${newId}`]: name, [`category:${newId}`]: categoryId },
              { [`stock:${newId}`]: stock },
              [`reviews:${newId}`],
            );
            created.push(newId);
          }
          finishWrite(write, sent, adminToken);
          break;
        }
        case 'logout': {
          const write = history.beginWrite('logout', via, now());
          history.assign(`session:${session.token}`, write, 'ended');
          const sent = await send(via, LOGOUT, {}, session.token, write.sentAt);
          finishWrite(write, sent, session.token);
          loggedOut.push(session);
          if (loggedOut.length > 4) loggedOut.shift();
          session = await login();
          break;
        }
      }
      await sleep(random() * 10);
    }
  }

  // ---- nemesis

  function healthy(name: InstanceName): boolean {
    const layer = instances[name].app.cacheLayer;
    return layer.canPublish() && layer.cache?.store?.ready === true;
  }

  async function nemesis(): Promise<void> {
    const random = randomStream(streamSeed(seed, 999));
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    while (!stopping) {
      const gap = 300 + random() * 1200;
      const kind = pick<FaultKind>(['delay', 'stall', 'cut']);
      const target = pick<FaultTarget>(['A', 'B', 'both']);
      const duration = 200 + random() * (maxFaultMs - 200);
      const delayMs = pick(DELAYS_MS);
      await sleep(gap);
      if (stopping) break;
      const names: InstanceName[] = target === 'both' ? ['A', 'B'] : [target];
      const label = `${kind === 'delay' ? `delay ${delayMs}ms` : kind}${target === 'both' ? ' (both)' : ''}`;
      const started = now();
      const ends = names.map((name) => history.disturb(name, kind, label, started));
      try {
        for (const name of names) {
          const proxy = proxies[name];
          if (kind === 'delay') proxy.setDelay(delayMs);
          else if (kind === 'stall') proxy.stall();
          else await proxy.cut();
        }
        await sleep(duration);
      } finally {
        for (const name of names) {
          const proxy = proxies[name];
          if (kind === 'delay') proxy.setDelay(0);
          else if (kind === 'stall') proxy.resume();
          else await proxy.restore();
        }
      }
      const undone = now();
      // Replies already held for a delay still arrive that much later.
      if (kind === 'delay') await sleep(delayMs);
      try {
        await until(() => names.every(healthy), 20_000);
      } catch {
        unexpected(`${label} on ${target}: the instance did not hear Redis again within 20 s of the fault's end`);
      }
      const healed = now();
      for (const end of ends) end(healed);
      report.faults[`${label} on ${target === 'both' ? 'A+B' : target}`] = (report.faults[`${label} on ${target === 'both' ? 'A+B' : target}`] ?? 0) + 1;
      report.faultMs += undone - started;
    }
  }

  // ---- the run

  const started = now();
  const clients = Array.from({ length: options.clients }, (_, i) => client(i));
  const nemesisDone = options.nemesis === false ? Promise.resolve() : nemesis();
  const timer = setTimeout(() => (stopping = true), options.durationMs);
  const results = await Promise.allSettled([...clients, nemesisDone]);
  clearTimeout(timer);
  stopping = true;
  report.seconds = Math.round((now() - started) / 100) / 10;
  for (const result of results) if (result.status === 'rejected') unexpected(`a loop failed: ${String(result.reason?.stack ?? result.reason)}`);

  await until(() => (['A', 'B'] as const).every(healthy), 20_000).catch(() => unexpected('the instances did not hear Redis again after the run'));

  // No invalidation is lost: once Redis is back for everyone, every outbox row gets published.
  const connection = instances.A.database.orm.em.fork().getConnection();
  const unpublished = async () => Number((await connection.execute<{ n: string }[]>('select count(*) as n from outbox_event where published_at is null'))[0]!.n);
  await until(async () => (await unpublished()) === 0, 30_000).catch(async () => unexpected(`${await unpublished()} outbox rows still unpublished 30 s after the run`));

  // Then everything binds everywhere: the final state, read through both instances.
  await sleep(history.plainWindowMs);
  const finalBefore = history.stats.readsJudged;
  const everything = history.knownProducts();
  for (const name of ['A', 'B'] as const) {
    for (let i = 0; i < everything.length; i += 8) await Promise.all(everything.slice(i, i + 8).map((id) => readProductPage(name, id)));
    await Promise.all(categories.map((id) => readCategory(name, id)));
    await readCatalog(name, undefined);
  }
  await until(() => history.waiting === 0, 10_000).catch(() => unexpected(`${history.waiting} reads never judged (writes never answered)`));
  report.finalReads = history.stats.readsJudged - finalBefore;
  await Promise.all(diagnoses);

  lag.disable();
  report.eventLoopDelayMaxMs = Math.round(lag.max / 1e6);
  report.eventLoopDelayP99Ms = Math.round(lag.percentile(99) / 1e6);
  return report;
}

/** The report as lines for the test output. */
export function formatReport(report: CheckerReport, history: History): string {
  const lines: string[] = [];
  const s = history.stats;
  lines.push(`checker: seed ${report.seed}, ${report.seconds} s (replay: CHECKER_SEED=${report.seed}; the schedule replays, its timing does not)`);
  const ops = Object.entries(report.operations).sort(([a], [b]) => a.localeCompare(b));
  lines.push(`operations: ${ops.map(([op, by]) => `${op} ${by.A + by.B} (A ${by.A}/B ${by.B})`).join(', ')}`);
  const writes = Object.entries(report.writes).sort(([a], [b]) => a.localeCompare(b));
  lines.push(
    `writes: ${writes.map(([kind, by]) => `${kind} ${by.acknowledged} acknowledged/${by.deferred} deferred${by.refused ? `/${by.refused} refused` : ''}${by.unknown ? `/${by.unknown} unknown` : ''}`).join(', ')}`,
  );
  const deferred = writes.reduce((sum, [, by]) => sum + by.deferred, 0);
  lines.push(
    `deferred writes: ${deferred} (${report.deferredWithoutFault} with no fault active); writes without an invalidation report: ${report.unreported}`,
  );
  const faults = Object.entries(report.faults).sort(([a], [b]) => a.localeCompare(b));
  lines.push(`faults: ${faults.map(([f, n]) => `${f} ×${n}`).join(', ') || 'none'} (${Math.round(report.faultMs / 100) / 10} s faulted)`);
  lines.push(
    `reads judged: ${s.readsJudged} (${s.observations} observations; ${report.finalReads} in the final sweep; ${s.partialLists} lists too long to judge membership)`,
  );
  lines.push(
    `older values allowed by a deferred write's window: ${s.allowedStale} (longest ${Math.round(s.maxAllowedStaleMs)} ms after the write's acknowledgement; past the plain ${history.plainWindowMs} ms window: ${s.allowedStaleByReaderFault}, as the reader could not hear Redis)`,
  );
  lines.push(`stale or never-written reads: ${s.violations}; unexpected errors: ${report.unexpected.length}`);
  lines.push(`slowest request: ${Math.round(report.slowestMs)} ms; event-loop delay max ${report.eventLoopDelayMaxMs} ms, p99 ${report.eventLoopDelayP99Ms} ms`);
  return lines.join('\n');
}
