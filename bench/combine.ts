/**
 * One row from several measured windows of the same server and mode (the mixed run measures
 * each server in turns): counts add up, rates are recomputed over the summed time, per-request
 * figures are weighted by requests and per-second ones by seconds.
 */
import type { Measurement, MixedFigures } from './report';

const sum = (windows: readonly Measurement[], pick: (m: Measurement) => number) => windows.reduce((total, m) => total + pick(m), 0);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function combineWindows(windows: readonly Measurement[]): Measurement {
  const first = windows[0];
  if (!first) throw new Error('no windows to combine');
  const seconds = sum(windows, (m) => m.seconds);
  const requests = sum(windows, (m) => m.requests);
  const serverRequests = sum(windows, (m) => m.serverRequests);
  const byRequests = (pick: (m: Measurement) => number) =>
    serverRequests > 0 ? sum(windows, (m) => pick(m) * m.serverRequests) / serverRequests : 0;
  const bySeconds = (pick: (m: Measurement) => number) => (seconds > 0 ? sum(windows, (m) => pick(m) * m.seconds) / seconds : 0);
  const optionalBySeconds = (pick: (m: Measurement) => number | undefined) =>
    windows.some((m) => pick(m) === undefined) ? undefined : bySeconds((m) => pick(m)!);
  const hits = sum(windows, (m) => m.cacheHits);
  const misses = sum(windows, (m) => m.cacheMisses);
  const mixed: MixedFigures | undefined = first.mixed && {
    reads: sum(windows, (m) => m.mixed!.reads),
    updates: sum(windows, (m) => m.mixed!.updates),
    updatesSent: sum(windows, (m) => m.mixed!.updatesSent),
    judgedReads: sum(windows, (m) => m.mixed!.judgedReads),
    staleReads: sum(windows, (m) => m.mixed!.staleReads),
  };
  return {
    ...first,
    requests,
    seconds,
    requestsPerSecond: seconds > 0 ? requests / seconds : 0,
    // Latency histograms are not kept across windows: the middle window's median, the worst p99.
    p50Ms: median(windows.map((m) => m.p50Ms)),
    p99Ms: Math.max(...windows.map((m) => m.p99Ms)),
    serverRequests,
    sqlPerRequest: byRequests((m) => m.sqlPerRequest),
    redisPerRequest: windows.some((m) => m.redisPerRequest === null) ? null : byRequests((m) => m.redisPerRequest!),
    cacheHits: hits,
    cacheMisses: misses,
    cacheStale: sum(windows, (m) => m.cacheStale),
    cacheL1Hits: sum(windows, (m) => m.cacheL1Hits),
    cacheErrors: sum(windows, (m) => m.cacheErrors),
    l1Resets: sum(windows, (m) => m.l1Resets),
    hitRatio: first.hitRatio === undefined || hits + misses === 0 ? first.hitRatio : hits / (hits + misses),
    errors: sum(windows, (m) => m.errors),
    checkedBodies: sum(windows, (m) => m.checkedBodies),
    non2xx: sum(windows, (m) => m.non2xx),
    problems: [...new Set(windows.flatMap((m) => m.problems))].slice(0, 3),
    peakRssBytes: Math.max(...windows.map((m) => m.peakRssBytes)),
    serverCpuCores: bySeconds((m) => m.serverCpuCores),
    eventLoopBusy: bySeconds((m) => m.eventLoopBusy),
    postgresCpuCores: optionalBySeconds((m) => m.postgresCpuCores),
    redisCpuCores: optionalBySeconds((m) => m.redisCpuCores),
    generatorCpuCores: bySeconds((m) => m.generatorCpuCores),
    machineBusy: optionalBySeconds((m) => m.machineBusy),
    windowRates: windows.map((m) => m.requestsPerSecond),
    ...(mixed ? { mixed } : {}),
  };
}
