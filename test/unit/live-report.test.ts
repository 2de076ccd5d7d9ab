/**
 * The live run's targets (bench/live-report.ts), judged from rows of one run: ours against the
 * one-channel peer at the largest subscriber count.
 */
import type { LiveMeasurement } from '../../bench/live';
import { renderLive } from '../../bench/live-report';

function row(overrides: Partial<LiveMeasurement>): LiveMeasurement {
  return {
    modeId: 'ours-live',
    mode: 'ours',
    server: 'ours',
    subscribers: 10000,
    rate: 5,
    note: undefined,
    unavailable: false,
    updatesSent: 100,
    updatesAcked: 100,
    updateErrors: 0,
    seconds: 20,
    updateP50Ms: 10,
    updateP99Ms: 30,
    p50Ms: 10,
    p99Ms: 40,
    maxMs: 60,
    p99FromSendMs: 70,
    messagesPerSecond: 5000,
    expectedMessagesPerSecond: 5000,
    expected: 100000,
    delivered: 100000,
    lost: 0,
    duplicates: 0,
    misrouted: 0,
    failures: 0,
    executionsPerUpdate: 1,
    drainSeconds: 0.1,
    heapPerSubscriberBytes: 8 * 1024,
    rssPerSubscriberBytes: 12 * 1024,
    heapCollected: true,
    connectSeconds: 3,
    pools: 2,
    client: 'graphql-ws',
    serverCpuCores: 0.2,
    serverEventLoopBusy: 0.2,
    poolCpuCores: 0.1,
    poolEventLoopBusy: 0.1,
    warmupSeconds: 2,
    ...overrides,
  };
}

const peer = (overrides: Partial<LiveMeasurement>) =>
  row({ modeId: 'apollo-live', mode: 'Apollo peer, one channel + withFilter', server: 'apollo-live', ...overrides });

/** The verdict column of the target whose name starts with `name`. */
function verdict(rows: LiveMeasurement[], name: string): string {
  const line = renderLive(rows)
    .join('\n')
    .split('\n')
    .find((l) => l.startsWith(`| ${name}`));
  if (!line) throw new Error(`no target "${name}"`);
  return line.split('|').at(-2)!.trim();
}

describe('live targets', () => {
  it('are met by a run that meets each of them', () => {
    const rows = [row({}), row({ rate: 10, p99Ms: 60 }), peer({ p99Ms: 200 }), peer({ rate: 10, p99Ms: 900 })];
    expect(verdict(rows, 'p99 at 5 updates/s')).toBe('met');
    expect(verdict(rows, '10 updates/s held')).toBe('met');
    expect(verdict(rows, 'heap ≤ 10 KB')).toBe('met');
    expect(verdict(rows, 'no subscriber misses')).toBe('met');
  });

  it('compare p99 with the peer of the same run, at half', () => {
    expect(verdict([row({ p99Ms: 101 }), peer({ p99Ms: 200 })], 'p99 at 5 updates/s')).toBe('**not met**');
  });

  it('do not count 10 updates/s as held when answers fall behind or deliveries are lost', () => {
    expect(verdict([row({ rate: 10, updateP99Ms: 5000 })], '10 updates/s held')).toBe('**not met**');
    expect(verdict([row({ rate: 10, updatesAcked: 99 })], '10 updates/s held')).toBe('**not met**');
    expect(verdict([row({ rate: 10, lost: 1 })], '10 updates/s held')).toBe('**not met**');
  });

  it('count one lost delivery in any row of ours as a miss, and say n/a when ours was not measured', () => {
    expect(verdict([row({}), row({ subscribers: 1000, lost: 1 })], 'no subscriber misses')).toBe('**not met**');
    expect(verdict([row({ unavailable: true }), peer({})], 'no subscriber misses')).toBe('n/a');
  });
});
