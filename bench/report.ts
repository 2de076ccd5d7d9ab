/**
 * Turns a run's measurements into the markdown written to bench/results/latest.md.
 */
import type { LiveMeasurement } from './live';
import { renderLive } from './live-report';
import { modeOf, PEERS, SERVERS, type ServerId, type Start } from './modes';
import { PEER_TTL_SECONDS } from './peers/catalog';
import type { ServerStats } from './protocol';

/** The mixed run's own figures (client side). */
export interface MixedFigures {
  /** Product pages answered correctly in the window. */
  reads: number;
  /** Price changes acknowledged (answered with the new price) in the window. */
  updates: number;
  /** Price changes sent (some may still have been in flight when the window closed). */
  updatesSent: number;
  /** Reads sent after at least one update of their product had been acknowledged: the ones that can be stale. */
  judgedReads: number;
  /** Reads that returned a price already replaced by an acknowledged update (staleness.ts). */
  staleReads: number;
}

/** The server's cache counters over the window, as protocol.ts defines them. */
type CacheFigures = Pick<ServerStats, 'cacheHits' | 'cacheMisses' | 'cacheStale' | 'cacheL1Hits' | 'cacheErrors' | 'l1Resets'>;

export interface Measurement extends CacheFigures {
  /** Mode id (`warm`) and row label (`warm`). */
  modeId: string;
  mode: string;
  /** What served it: our app with no cache or with our cache, or a lean peer. */
  server: ServerId;
  /** `catalog`, `product-page`, or `mixed`. */
  document: string;
  /** Something the reader must know about how the window started (a cut warming pass). */
  startNote: string | undefined;
  /** Responses received in the measured window (autocannon's count). */
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests the server finished in the window (its own count; the divisor of the per-request figures). */
  serverRequests: number;
  sqlPerRequest: number;
  /** null: the server cannot count them (see protocol.ts). */
  redisPerRequest: number | null;
  /** hits / (hits + misses); undefined without a cache. */
  hitRatio: number | undefined;
  /** Connection errors and timeouts, GraphQL `errors`, unparsable bodies, wrong data. */
  errors: number;
  /** Responses whose body was parsed and checked: all of them, so it equals `requests`. */
  checkedBodies: number;
  non2xx: number;
  /** Up to a few examples of what went wrong. */
  problems: string[];
  peakRssBytes: number;
  /** CPU used, in cores (1.0 = one core busy the whole window). */
  serverCpuCores: number;
  /** Share of the window the server's event loop was running JavaScript, 0..1. */
  eventLoopBusy: number;
  postgresCpuCores: number | undefined;
  redisCpuCores: number | undefined;
  generatorCpuCores: number;
  /** Share of all the machine's cores that was busy, 0..1. */
  machineBusy: number | undefined;
  /** Only for the mixed run. */
  mixed?: MixedFigures;
  /** Combined from several windows (combine.ts): each window's req/s, in the order measured. */
  windowRates?: number[];
}

export interface RunInfo {
  date: Date;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  commit: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  poolMax: number;
  database: string;
  /** Our cache's L1 size when the run set it; undefined: the app's default. */
  l1MaxEntries: number | undefined;
  /** Where our cache and the peers take turns: windows per server, and their total as a multiple of `durationSeconds`. */
  turns: number;
  turnsSecondsFactor: number;
  /** The whole run, database preparation included. */
  wallSeconds: number;
  workloads: { document: string; description: string }[];
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const percent = (share: number | undefined) => (share === undefined ? 'n/a' : `${Math.round(share * 100)} %`);
const precisePercent = (share: number | undefined) =>
  share === undefined ? 'n/a' : share > 0.99 && share < 1 ? `${fixed(share * 100, 1)} %` : `${Math.round(share * 100)} %`;
const cores = (value: number | undefined) => (value === undefined ? 'n/a' : fixed(value, 2));
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? 'n/a' : `${fixed(a / b, 2)}x`;

/** The share of our cache's hits that L1 answered; the peers have one tier. */
const l1Share = (r: Measurement) => (r.server === 'ours' && r.cacheHits > 0 ? percent(r.cacheL1Hits / r.cacheHits) : 'n/a');

/** Failed Redis calls, and (ours) how often L1 was emptied because the invalidation subscriber dropped. */
const redisErrors = (r: Measurement) =>
  r.server === 'off' ? 'n/a' : `${r.cacheErrors}${r.l1Resets > 0 ? ` (L1 emptied ${r.l1Resets}x)` : ''}`;

/** Busy cores not accounted for by the server, PostgreSQL or the load generator: noise from outside. */
function otherCores(r: Measurement, cpus: number): number | undefined {
  if (r.machineBusy === undefined || r.postgresCpuCores === undefined) return undefined;
  return Math.max(0, r.machineBusy * cpus - r.serverCpuCores - r.postgresCpuCores - (r.redisCpuCores ?? 0) - r.generatorCpuCores);
}

/** For rows measured in turns (combine.ts): each window's req/s, so the spread shows. */
function windowByWindow(rows: readonly Measurement[]): string[] {
  const turns = rows.filter((r) => r.windowRates && r.windowRates.length > 1);
  if (turns.length === 0) return [];
  const list = turns.map((r) => `${r.document === 'mixed' ? '' : `${r.document} `}${r.mode} ${r.windowRates!.map((rate) => fixed(rate, 0)).join(', ')}`);
  return [`Requests per second, window by window (taken in turns): ${list.join('; ')}.`, ''];
}

function peerName(id: ServerId): string {
  return `${id === 'apollo' ? 'Apollo' : id === 'yoga' ? 'Yoga' : id} peer`;
}

/** The measurement with the most req/s among those present. */
function bestPeer(rows: readonly (Measurement | undefined)[]): Measurement | undefined {
  return rows.reduce<Measurement | undefined>((best, r) => (r && (!best || r.requestsPerSecond > best.requestsPerSecond) ? r : best), undefined);
}

/** `req/s (p50 / p99 ms)` of a row, or a dash when the run did not measure it. */
function speed(r: Measurement | undefined): string {
  return r ? `${fixed(r.requestsPerSecond, 0)} (${fixed(r.p50Ms, 0)} / ${fixed(r.p99Ms, 0)})` : '–';
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderReport(info: RunInfo, results: Measurement[], live: readonly LiveMeasurement[] = []): string {
  if (results.length === 0) {
    // A live run alone: the run's facts and its own section.
    return [
      '# Benchmark: live run',
      '',
      `- date: ${info.date.toISOString()}; the whole run took ${Math.round(info.wallSeconds)} s`,
      `- machine: ${info.cpus} CPUs (\`nproc\`), ${info.cpuModel}, ${info.memoryGiB} GiB; subscriber pools, publisher, server, PostgreSQL and Redis share it`,
      `- node ${info.node}, ${info.postgres}`,
      `- commit: ${info.commit}`,
      `- server NODE_ENV=production, --expose-gc, database pool ${info.poolMax}, database \`${info.database}\` (bench dataset); one server at a time, a fresh process per subscriber count`,
      '',
      ...renderLive(live),
    ].join('\n');
  }
  const documents = results.filter((r) => r.document !== 'mixed');
  const mixed = results.filter((r) => r.document === 'mixed');
  const find = (document: string, modeId: string) => results.find((r) => r.document === document && r.modeId === modeId);
  const of = (document: string, server: ServerId, start: Start) => find(document, modeOf(server, start).id);
  const peerNames = PEERS.map((id) => peerName(id)).join(' and ');

  const out: string[] = [];
  out.push('# Benchmark: latest run', '');
  out.push(
    `- date: ${info.date.toISOString()}; the whole run took ${Math.round(info.wallSeconds)} s`,
    `- machine: ${info.cpus} CPUs (\`nproc\`), ${info.cpuModel}, ${info.memoryGiB} GiB; load generator, server, PostgreSQL and Redis share it`,
    `- node ${info.node}, ${info.postgres}`,
    `- commit: ${info.commit}`,
    `- load: autocannon, ${info.connections} connections, ${info.durationSeconds} s measured per window; server NODE_ENV=production, database pool ${info.poolMax}, database \`${info.database}\` (bench dataset)`,
    `- cache off: CACHE_ENABLED=false, ${info.warmupSeconds} s warm-up per document. cold: our cache, a fresh process and key prefix per document, measured from its first request. warm: then, in the same process, one whole pass over the document's distinct requests (the catalog's 51 pages, every product page), then ${info.warmupSeconds} s of the same requests unmeasured, then the window. Our cache and the lean peers run side by side for each document; their warm windows take turns (${info.turns} windows each, ${info.durationSeconds * info.turnsSecondsFactor} s in all, alternating A B C C B A…, so that a machine that speeds up or slows down weighs on all alike) and each row adds its windows up (p50: the windows’ median; p99: the worst window’s). Our cache runs with L1 ${info.l1MaxEntries === undefined ? 'at the app’s defaults (CACHE_L1_MAX_ENTRIES, CACHE_L1_MAX_TTL_MS)' : `max ${info.l1MaxEntries} entries (CACHE_L1_MAX_ENTRIES)`} and Redis as L2`,
    `- lean peers (bench/peers/), separate small servers over the same tables, each with a minimal schema of the documents' fields and one \`pg\` statement per DataLoader batch: **Apollo peer**: Apollo Server 5 \`startStandaloneServer\` + \`@apollo/server-plugin-response-cache\` on Redis (\`@apollo/utils.keyvadapter\` + \`keyv\` + \`@keyv/redis\`), \`ApolloServerPluginCacheControl({ defaultMaxAge: ${PEER_TTL_SECONDS} })\`, no invalidation; **Yoga peer**: GraphQL Yoga 5 on node:http + \`@graphql-yoga/plugin-response-cache\` on Redis (\`@envelop/response-cache-redis\`, ioredis), ttl ${PEER_TTL_SECONDS} s, invalidation by entity on mutations. Both check the admin's bearer token against our \`session\` table (one statement per update). Cold and warm as for ours, with a fresh key space per document`,
    '',
  );

  const summary: string[][] = [];
  const stale = (r: Measurement | undefined) =>
    r?.mixed ? `${r.mixed.staleReads} of ${r.mixed.judgedReads} (${r.mixed.judgedReads > 0 ? fixed((100 * r.mixed.staleReads) / r.mixed.judgedReads, 1) : '0'} %)` : '–';
  const summaryRow = (what: string, document: string, start: Start) => {
    const ours = of(document, 'ours', start);
    const peers = PEERS.map((id) => of(document, id, start));
    const off = start === 'mixed' ? undefined : of(document, 'off', 'jit');
    if (!ours && peers.every((r) => !r)) return;
    const best = bestPeer(peers);
    summary.push([
      what,
      speed(ours),
      ...peers.map(speed),
      best && ours ? `${ratio(ours.requestsPerSecond, best.requestsPerSecond)} (${best.mode})` : '–',
      speed(off),
      ratio(ours?.requestsPerSecond, off?.requestsPerSecond),
    ]);
    if (start === 'mixed') summary.push(['mixed run: stale reads', stale(ours), ...peers.map(stale), '', '', '']);
  };
  for (const start of ['warm', 'cold'] as const) {
    for (const document of new Set(documents.map((r) => r.document))) summaryRow(`${start} ${document}`, document, start);
  }
  summaryRow('mixed run', 'mixed', 'mixed');
  if (summary.length > 0) {
    out.push('## Ours against the lean peers', '');
    out.push(
      `req/s, then (p50 / p99 ms) at ${info.connections} connections, in this run: our cache, the ${peerNames}, and our app with its cache off. ` +
        '"Best peer": the lean peer with the most req/s in that row. Details below.',
      '',
      table(['measure', 'ours', ...PEERS.map(peerName), 'ours / best peer', 'cache off', 'ours / cache off'], summary),
      '',
    );
  }

  out.push('## Figures', '');
  out.push(
    table(
      ['document', 'mode', 'req/s', 'p50 ms', 'p99 ms', 'SQL / req', 'Redis / req', 'hit ratio', 'hits from L1', 'Redis errors', 'errors', 'non-2xx', 'peak RSS'],
      documents.map((r) => [
        r.document,
        r.mode,
        fixed(r.requestsPerSecond, 0),
        fixed(r.p50Ms, 0),
        fixed(r.p99Ms, 0),
        fixed(r.sqlPerRequest, 2),
        r.redisPerRequest === null ? 'n/a' : fixed(r.redisPerRequest, 2),
        precisePercent(r.hitRatio),
        l1Share(r),
        redisErrors(r),
        String(r.errors),
        String(r.non2xx),
        mib(r.peakRssBytes),
      ]),
    ),
    '',
    'Hit ratio is hits / (hits + misses) counted inside the server over the window. Our cache counts ' +
      'lookups (one per entity or cached field key, L1 or Redis); the peers count responses (served ' +
      'from their cache, or executed and stored). Stale-while-revalidate serves are neither. Redis errors: cache ' +
      'calls to Redis that failed or timed out (REDIS_COMMAND_TIMEOUT_MS), each answered without Redis; ' +
      '"L1 emptied": the invalidation subscriber dropped, so our cache emptied its L1 and bypassed it ' +
      'until it was back.',
    '',
  );
  out.push(...windowByWindow(documents));
  const notes: string[] = [];
  for (const r of results) {
    if (r.startNote) notes.push(`- ${r.document} (${r.mode}): ${r.startNote}`);
    // A warm window should find nearly everything: if not, its figures are not "warm".
    if (r.modeId.endsWith('warm') && r.hitRatio !== undefined && r.hitRatio < 0.99) {
      notes.push(`- ${r.document} (${r.mode}): **not warm**: hit ratio ${precisePercent(r.hitRatio)} (expired or evicted entries, or Redis errors during the pass)`);
    }
  }
  out.push(...notes);
  if (notes.length > 0) out.push('');

  out.push('## Ratios', '');
  const ratioRows: string[][] = [];
  const ratioRow = (x: Measurement | undefined, y: Measurement | undefined, label?: string) => {
    if (!x || !y) return;
    ratioRows.push([
      x.document,
      label ?? `${x.mode} / ${y.mode}`,
      ratio(x.requestsPerSecond, y.requestsPerSecond),
      ratio(x.p50Ms, y.p50Ms),
      ratio(x.p99Ms, y.p99Ms),
      ratio(x.sqlPerRequest, y.sqlPerRequest),
      ratio(x.peakRssBytes, y.peakRssBytes),
    ]);
  };
  for (const document of new Set(documents.map((r) => r.document))) {
    const off = of(document, 'off', 'jit');
    for (const server of ['ours', ...PEERS] as const) {
      for (const start of ['warm', 'cold'] as const) ratioRow(of(document, server, start), off);
    }
    for (const start of ['warm', 'cold'] as const) {
      const best = bestPeer(PEERS.map((id) => of(document, id, start)));
      ratioRow(of(document, 'ours', start), best, best && `${start} / best peer ${start} (${best.mode})`);
    }
  }
  if (ratioRows.length === 0) out.push('Not enough modes in this run to compare.', '');
  else {
    out.push(
      'For the same document, measured in this run. Above 1x is more for req/s, and slower or more for the others. ' +
        '"Best peer": the lean peer with the most req/s in that mode.',
      '',
      table(['document', 'modes', 'req/s', 'p50', 'p99', 'SQL / req', 'peak RSS'], ratioRows),
      '',
    );
  }

  if (mixed.length > 0) {
    out.push('## Mixed run: 95 % reads, 5 % price changes', '');
    out.push(
      table(
        ['server', 'req/s', 'p50 ms', 'p99 ms', 'reads', 'updates', 'hit ratio', 'hits from L1', 'stale reads', 'SQL / req', 'Redis / req', 'Redis errors', 'errors', 'non-2xx', 'peak RSS'],
        mixed.map((r) => {
          const m = r.mixed!;
          return [
            r.mode,
            fixed(r.requestsPerSecond, 0),
            fixed(r.p50Ms, 0),
            fixed(r.p99Ms, 0),
            String(m.reads),
            m.updates === m.updatesSent ? String(m.updates) : `${m.updates} (${m.updatesSent} sent)`,
            precisePercent(r.hitRatio),
            l1Share(r),
            `${m.staleReads} of ${m.judgedReads} (${m.judgedReads > 0 ? fixed((100 * m.staleReads) / m.judgedReads, 1) : '0'} %)`,
            fixed(r.sqlPerRequest, 2),
            r.redisPerRequest === null ? 'n/a' : fixed(r.redisPerRequest, 2),
            redisErrors(r),
            String(r.errors),
            String(r.non2xx),
            mib(r.peakRssBytes),
          ];
        }),
      ),
      '',
      '"stale reads N of M": of the M reads sent after some update of their product had been ' +
        'acknowledged (the only ones that can be stale), N returned a price that an update acknowledged ' +
        'before the read was sent had already replaced (definition in bench/README.md). Updates: ' +
        'acknowledged in the windows (sent, if more). Each server starts with a fresh cache, warmed by the ' +
        'reads (one pass over the 200 products), then the mixed sequence itself for the warm-up, and has a database of its own (the ' +
        'peers’ are copies of ours, so no server’s writes reach another’s data behind its cache). All stay up, ' +
        `and they take turns: each is measured in ${mixed[0]!.windowRates?.length ?? 1} windows (${fixed(mixed[0]!.seconds, 0)} s in all), alternating A B C C B A…, so that a machine ` +
        'that speeds up or slows down during the run weighs on all alike; the row adds the windows up ' +
        '(p50: the windows’ median; p99: the worst window’s). Prices are put back afterwards.',
      '',
    );
    out.push(...windowByWindow(mixed));
    const ours = mixed.find((r) => r.server === 'ours');
    const against = mixed
      .filter((r) => SERVERS[r.server].peer)
      .map((peer) => `/ ${peer.mode}: req/s ${ratio(ours?.requestsPerSecond, peer.requestsPerSecond)}, p50 ${ratio(ours?.p50Ms, peer.p50Ms)}, p99 ${ratio(ours?.p99Ms, peer.p99Ms)}`);
    if (ours && against.length > 0) out.push(`Ours ${against.join('; ours ')}.`, '');
  }

  const targets: string[][] = [];
  const target = (name: string, measured: string, met: boolean | undefined) =>
    targets.push([name, measured, met === undefined ? 'n/a' : met ? 'met' : '**not met**']);
  for (const [document, wanted] of [
    ['catalog', 3],
    ['product-page', 2],
  ] as const) {
    const ours = of(document, 'ours', 'warm');
    const best = bestPeer(PEERS.map((id) => of(document, id, 'warm')));
    if (ours && best) {
      const value = ours.requestsPerSecond / best.requestsPerSecond;
      target(`warm ${document} ≥ ${wanted}x the best lean peer's warm req/s (${best.mode})`, `${fixed(value, 2)}x`, value >= wanted);
    }
  }
  const coldPage = of('product-page', 'ours', 'cold');
  const offPage = of('product-page', 'off', 'jit');
  if (coldPage && offPage) {
    const value = coldPage.requestsPerSecond / offPage.requestsPerSecond;
    target('cold product-page ≥ 1x cache off req/s', `${fixed(value, 2)}x`, value >= 1);
  }
  const oursMixed = mixed.find((r) => r.server === 'ours');
  const apolloMixed = mixed.find((r) => r.server === 'apollo');
  if (oursMixed && apolloMixed) {
    const value = oursMixed.requestsPerSecond / apolloMixed.requestsPerSecond;
    target('mixed run ≥ 1.2x the Apollo peer’s req/s', `${fixed(value, 2)}x`, value >= 1.2);
    target('mixed run p99 ≤ the Apollo peer’s p99', `${fixed(oursMixed.p99Ms, 0)} ms against ${fixed(apolloMixed.p99Ms, 0)} ms`, oursMixed.p99Ms <= apolloMixed.p99Ms);
  }
  if (oursMixed) target('mixed run: 0 stale reads (ours)', String(oursMixed.mixed!.staleReads), oursMixed.mixed!.staleReads === 0);
  if (targets.length > 0) {
    out.push('## Targets (issue 8), against the lean peers in this run', '');
    out.push(table(['target', 'measured', ''], targets), '');
  }

  out.push('## Where the time goes', '');
  out.push(
    'CPU in cores over the measured window (1.00 = one core busy throughout); the machine has ' +
      `${info.cpus}. The server's JavaScript runs on one thread, so an event loop near 100 % busy means ` +
      'the server process is the bottleneck. "Other processes" is busy CPU that none of the four used: ' +
      'anything above ~0.1 means something else ran on the machine during the window, and the absolute ' +
      'figures of that row are depressed.',
    '',
  );
  out.push(
    table(
      ['document', 'mode', 'server CPU', 'server event loop busy', 'PostgreSQL CPU', 'Redis CPU', 'load generator CPU', 'other processes CPU', 'machine busy'],
      results.map((r) => [
        r.document,
        r.mode,
        cores(r.serverCpuCores),
        percent(r.eventLoopBusy),
        cores(r.postgresCpuCores),
        cores(r.redisCpuCores),
        cores(r.generatorCpuCores),
        cores(otherCores(r, info.cpus)),
        percent(r.machineBusy),
      ]),
    ),
    '',
  );

  out.push('## Workload', '');
  for (const w of info.workloads) out.push(`- \`${w.document}\`: ${w.description}`);
  out.push('');
  out.push(
    `Response bodies parsed and checked (HTTP 200, no \`errors\`, the data asked for), of responses received: ${results
      .map((r) => `${r.document} (${r.mode}) ${r.checkedBodies} of ${r.requests}`)
      .join(', ')}.`,
    '',
  );

  out.push(...renderLive(live));

  const failed = results.filter((r) => r.errors > 0 || r.non2xx > 0);
  if (failed.length > 0) {
    out.push('## Errors', '');
    for (const r of failed) {
      out.push(`- ${r.document} (${r.mode}): ${r.errors} errors, ${r.non2xx} non-2xx; e.g. ${r.problems.join('; ')}`);
    }
    out.push('');
  }
  return out.join('\n');
}
