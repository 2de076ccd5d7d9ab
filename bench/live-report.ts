/**
 * The live run's part of the report (report.ts places it): one row per server, subscriber
 * count and rate, and issue 9's targets against the one-channel Apollo peer of the same run.
 */
import type { LiveMeasurement } from './live';

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const kb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${fixed(bytes / 1024, 1)} KB`);
const thousands = (n: number) => n.toLocaleString('en-US');

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Issue 9's targets: at 10,000 subscribers, against the one-channel peer measured in the same run. */
function targets(rows: readonly LiveMeasurement[]): string[][] {
  const find = (modeId: string, subscribers: number, rate: number) =>
    rows.find((r) => r.modeId === modeId && r.subscribers === subscribers && r.rate === rate && !r.unavailable);
  const largest = Math.max(...rows.map((r) => r.subscribers));
  const out: string[][] = [];
  const target = (name: string, measured: string, met: boolean | undefined) =>
    out.push([name, measured, met === undefined ? 'n/a' : met ? 'met' : '**not met**']);
  const at = `${thousands(largest)} subscribers`;
  const ours5 = find('ours-live', largest, 5);
  const peer5 = find('apollo-live', largest, 5);
  target(
    `p99 at 5 updates/s ≤ half the one-channel peer's (${at})`,
    ours5 && peer5 ? `${fixed(ours5.p99Ms, 0)} ms against ${fixed(peer5.p99Ms, 0)} ms` : 'not measured',
    ours5 && peer5 ? ours5.p99Ms <= peer5.p99Ms / 2 : undefined,
  );
  const ours10 = find('ours-live', largest, 10);
  // Held: every update answered, and in time (a server falling behind answers seconds late),
  // every delivery made.
  target(
    `10 updates/s held, p99 < 100 ms (${at})`,
    ours10
      ? `p99 ${fixed(ours10.p99Ms, 0)} ms (from send ${fixed(ours10.p99FromSendMs, 0)}), ${fixed(ours10.messagesPerSecond, 0)} of ${fixed(ours10.expectedMessagesPerSecond, 0)} msgs/s, ` +
          `${ours10.updatesAcked} of ${ours10.updatesSent} updates answered (p99 ${fixed(ours10.updateP99Ms, 0)} ms), ${ours10.lost} lost`
      : 'not measured',
    ours10 ? ours10.p99Ms < 100 && ours10.lost === 0 && ours10.updatesAcked === ours10.updatesSent && ours10.updateP99Ms < 1000 : undefined,
  );
  const heap = rows.find((r) => r.modeId === 'ours-live' && r.subscribers === largest && r.heapPerSubscriberBytes !== undefined);
  target(`heap ≤ 10 KB per subscriber (${at})`, heap ? kb(heap.heapPerSubscriberBytes) : 'not measured', heap ? heap.heapPerSubscriberBytes! <= 10 * 1024 : undefined);
  const ours = rows.filter((r) => r.modeId === 'ours-live');
  const measured = ours.filter((r) => !r.unavailable);
  target(
    'no subscriber misses an event (ours, every row)',
    measured.length > 0 ? `${measured.reduce((n, r) => n + r.lost, 0)} lost of ${thousands(measured.reduce((n, r) => n + r.expected, 0))}` : 'not measured',
    measured.length > 0 && measured.length === ours.length ? measured.every((r) => r.lost === 0) : undefined,
  );
  return out;
}

export function renderLive(rows: readonly LiveMeasurement[]): string[] {
  if (rows.length === 0) return [];
  const out: string[] = ['## Live: subscriptions (issue 9)', ''];
  const first = rows.find((r) => !r.unavailable) ?? rows[0]!;
  const phase = first.unavailable ? '' : ` for ${fixed(first.seconds, 0)} s per phase`;
  out.push(
    `Subscribers to \`product-updated.graphql\` on one server, spread evenly over 10 products, held by ` +
      `${first.client === 'raw' ? '`ws` speaking graphql-transport-ws itself' : 'graphql-ws `createClient` over `ws`, one client per subscriber'} ` +
      'in pool processes of their own; the driver (another process) sends `update-price.graphql` over HTTP round-robin over the ' +
      `10 products, on schedule,${phase} after a warm-up (until every subscriber had heard). ` +
      'Latency: from the update’s answer arriving at the driver to each subscriber’s message (one clock on one machine; negative when a ' +
      'message beat the answer). Heap: server `heapUsed` after a full GC (`--expose-gc`) with the subscribers connected and live, minus ' +
      'the same before they connected, per subscriber. Lost: deliveries due (each answered update × its product’s subscribers) that never ' +
      'came, after the drain. Must be 0.',
    '',
  );
  out.push(
    table(
      ['server', 'subscribers', 'updates/s', 'p50 ms', 'p99 ms', 'max ms', 'p99 from send ms', 'msgs/s (of due)', 'heap / subscriber', 'lost', 'updates answered', 'update p99 ms', 'executions / update', 'server CPU', 'server loop busy', 'pools CPU (busiest loop)'],
      rows.map((r) =>
        r.unavailable
          ? [r.mode, thousands(r.subscribers), String(r.rate), 'not measured', '', '', '', '', '', '', '', '', '', '', '', '']
          : [
              r.mode,
              thousands(r.subscribers),
              String(r.rate),
              fixed(r.p50Ms, 1),
              fixed(r.p99Ms, 1),
              fixed(r.maxMs, 0),
              fixed(r.p99FromSendMs, 0),
              `${fixed(r.messagesPerSecond, 0)} (${fixed(r.expectedMessagesPerSecond, 0)})`,
              `${kb(r.heapPerSubscriberBytes)}${r.heapCollected ? '' : ' (no GC)'}`,
              r.lost === 0 ? '0' : `**${thousands(r.lost)}** of ${thousands(r.expected)}`,
              r.updatesAcked === r.updatesSent ? String(r.updatesAcked) : `${r.updatesAcked} of ${r.updatesSent}`,
              fixed(r.updateP99Ms, 0),
              r.executionsPerUpdate === undefined ? 'n/a' : fixed(r.executionsPerUpdate, 1),
              fixed(r.serverCpuCores, 2),
              `${Math.round(r.serverEventLoopBusy * 100)} %`,
              `${fixed(r.poolCpuCores, 2)} (${Math.round(r.poolEventLoopBusy * 100)} %)`,
            ],
      ),
    ),
    '',
    '"p99 from send": the same deliveries timed from when the update was sent, so a server that answers its mutations late ' +
      '(see "update p99") shows the whole wait. ' +
      '"executions / update": the server’s executions of the subscription document per answered update (ours: one per distinct ' +
      'subscription per event, its registry’s count; the peer: one per message sent). ' +
      '"msgs/s": deliveries of the phase’s updates / its publishing seconds (due: every answered update to every subscriber of its product). ' +
      '"updates answered": of those sent, answered with the new price (a server that cannot keep up answers late or not within 30 s). ' +
      'CPU in cores over the phase, drain included; "busiest loop": the busiest pool’s event loop, where a value near 100 % means the pool, ' +
      'not the server, added latency.',
    '',
  );
  // An unmeasured block has the same note on each of its rates: said once.
  const notes = [
    ...new Set(
      rows
        .filter((r) => r.note)
        .map((r) => `- ${r.mode}, ${thousands(r.subscribers)} subscribers${r.unavailable ? '' : `, ${r.rate}/s`}: ${r.unavailable ? 'not measured: ' : ''}${r.note}`),
    ),
  ];
  const connect = rows
    .filter((r) => !r.unavailable && r.rate === rows.find((x) => x.modeId === r.modeId && x.subscribers === r.subscribers)!.rate)
    .map((r) => `${r.mode} ${thousands(r.subscribers)} in ${fixed(r.connectSeconds, 1)} s (${r.pools} pool${r.pools > 1 ? 's' : ''})`);
  if (connect.length > 0) notes.push(`- subscribers opened: ${connect.join('; ')}`);
  const drains = rows.filter((r) => !r.unavailable && r.drainSeconds > 1).map((r) => `${r.mode} ${thousands(r.subscribers)} @ ${r.rate}/s: ${fixed(r.drainSeconds, 1)} s`);
  if (drains.length > 0) notes.push(`- last delivery after the last answer (falling behind): ${drains.join('; ')}`);
  out.push(...notes, '');
  out.push('### Targets (issue 9)', '', table(['target', 'measured', ''], targets(rows)), '');
  return out;
}
