/**
 * Turns a run's measurements into the markdown written to bench/results/latest.md.
 */

export interface Measurement {
  mode: string;
  document: string;
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
  generatorCpuCores: number;
  /** Share of all the machine's cores that was busy, 0..1. */
  machineBusy: number | undefined;
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
  workloads: { document: string; description: string }[];
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const percent = (share: number | undefined) => (share === undefined ? 'n/a' : `${Math.round(share * 100)} %`);
const cores = (value: number | undefined) => (value === undefined ? 'n/a' : fixed(value, 2));
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

/** Busy cores not accounted for by the server, PostgreSQL or the load generator: noise from outside. */
function otherCores(r: Measurement, cpus: number): number | undefined {
  if (r.machineBusy === undefined || r.postgresCpuCores === undefined) return undefined;
  return Math.max(0, r.machineBusy * cpus - r.serverCpuCores - r.postgresCpuCores - r.generatorCpuCores);
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderReport(info: RunInfo, results: Measurement[]): string {
  const out: string[] = [];
  out.push('# Benchmark: latest run', '');
  out.push(
    `- date: ${info.date.toISOString()}`,
    `- machine: ${info.cpus} CPUs (\`nproc\`), ${info.cpuModel}, ${info.memoryGiB} GiB; load generator, server and PostgreSQL share it`,
    `- node ${info.node}, ${info.postgres}`,
    `- commit: ${info.commit}`,
    `- load: autocannon, ${info.connections} connections, ${info.warmupSeconds} s warm-up (not counted) then ${info.durationSeconds} s measured per document and mode; server NODE_ENV=production, database pool ${info.poolMax}, database \`${info.database}\` (bench dataset)`,
    '',
  );
  out.push('## Figures', '');
  out.push(
    table(
      ['document', 'mode', 'req/s', 'p50 ms', 'p99 ms', 'SQL / req', 'Redis / req', 'errors', 'non-2xx', 'peak RSS'],
      results.map((r) => [
        r.document,
        r.mode,
        fixed(r.requestsPerSecond, 0),
        fixed(r.p50Ms, 0),
        fixed(r.p99Ms, 0),
        fixed(r.sqlPerRequest, 2),
        r.redisPerRequest === null ? 'n/a' : fixed(r.redisPerRequest, 2),
        String(r.errors),
        String(r.non2xx),
        mib(r.peakRssBytes),
      ]),
    ),
    '',
    `Response bodies parsed and checked (HTTP 200, no \`errors\`, the data asked for), of responses received: ${results
      .map((r) => `${r.document} (${r.mode}) ${r.checkedBodies} of ${r.requests}`)
      .join(', ')}.`,
    '',
  );

  out.push('## Where the time goes', '');
  out.push(
    'CPU in cores over the measured window (1.00 = one core busy throughout); the machine has ' +
      `${info.cpus}. The server's JavaScript runs on one thread, so an event loop near 100 % busy means ` +
      'the server process is the bottleneck. "Other processes" is CPU that none of the three used: ' +
      'anything above ~0.1 means something else ran on the machine during the window, and the ' +
      'absolute figures of that row are depressed.',
    '',
  );
  out.push(
    table(
      ['document', 'mode', 'server CPU', 'server event loop busy', 'PostgreSQL CPU', 'load generator CPU', 'other processes CPU', 'machine busy'],
      results.map((r) => [
        r.document,
        r.mode,
        cores(r.serverCpuCores),
        percent(r.eventLoopBusy),
        cores(r.postgresCpuCores),
        cores(r.generatorCpuCores),
        cores(otherCores(r, info.cpus)),
        percent(r.machineBusy),
      ]),
    ),
    '',
  );

  const modes = [...new Set(results.map((r) => r.mode))];
  out.push('## Ratios', '');
  if (modes.length < 2) {
    out.push(`One mode (${modes[0] ?? 'none'}) in this run: nothing to compare yet.`, '');
  } else {
    out.push(`Each mode against ${modes[0]} for the same document, measured in this run.`, '');
    const rows: string[][] = [];
    for (const document of new Set(results.map((r) => r.document))) {
      const base = results.find((r) => r.document === document && r.mode === modes[0]);
      if (!base) continue;
      for (const r of results.filter((x) => x.document === document && x.mode !== modes[0])) {
        const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : `${fixed(a / b, 2)}x`);
        rows.push([
          document,
          `${r.mode} / ${base.mode}`,
          ratio(r.requestsPerSecond, base.requestsPerSecond),
          ratio(r.p50Ms, base.p50Ms),
          ratio(r.p99Ms, base.p99Ms),
          ratio(r.sqlPerRequest, base.sqlPerRequest),
          ratio(r.peakRssBytes, base.peakRssBytes),
        ]);
      }
    }
    out.push(table(['document', 'modes', 'req/s', 'p50', 'p99', 'SQL / req', 'peak RSS'], rows), '');
  }

  out.push('## Workload', '');
  for (const w of info.workloads) out.push(`- \`${w.document}.graphql\`: ${w.description}`);
  out.push('');

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
