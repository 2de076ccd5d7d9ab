/**
 * What the machine did during a measured window, read from Linux's /proc: CPU time of the
 * PostgreSQL processes, of Redis, and of the whole machine. Best effort: elsewhere every figure is
 * `undefined` and the report prints "n/a".
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second for /proc times; 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;

export interface CpuSnapshot {
  /** CPU seconds (user + system) of each live `postgres` process, by pid. */
  postgres: Map<number, number> | undefined;
  /** The same for `redis-server` processes. */
  redis: Map<number, number> | undefined;
  /** Machine-wide busy and total CPU seconds, all cores together. */
  machine: { busy: number; total: number } | undefined;
}

function processCpuSeconds(stat: string): { comm: string; seconds: number } | undefined {
  // "pid (comm) state ppid ..."; comm may hold spaces or parentheses, so split at the last ')'.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // After comm: state is field 3, utime field 14 and stime field 15 (1-based over the whole line).
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { comm: stat.slice(open + 1, close), seconds: (utime + stime) / CLOCK_TICKS };
}

/** CPU seconds of the live processes named in `names`, by name, then pid. */
function processesCpu(names: readonly string[]): Map<string, Map<number, number>> | undefined {
  try {
    const result = new Map<string, Map<number, number>>(names.map((name) => [name, new Map()]));
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // the process ended between readdir and read
      }
      const parsed = processCpuSeconds(stat);
      if (parsed && result.has(parsed.comm)) result.get(parsed.comm)!.set(Number(entry), parsed.seconds);
    }
    return result;
  } catch {
    return undefined;
  }
}

function machineCpu(): CpuSnapshot['machine'] {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = ticks[3]! + ticks[4]!;
    return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const processes = processesCpu(['postgres', 'redis-server']);
  const nonEmpty = (map: Map<number, number> | undefined) => (map && map.size > 0 ? map : undefined);
  return { postgres: nonEmpty(processes?.get('postgres')), redis: nonEmpty(processes?.get('redis-server')), machine: machineCpu() };
}

export interface CpuDelta {
  /** PostgreSQL CPU seconds in the window (processes that started inside it count from 0). */
  postgresSeconds: number | undefined;
  /** Redis CPU seconds in the window (undefined when no local `redis-server` is visible). */
  redisSeconds: number | undefined;
  /** Share of all cores that was busy, 0..1. */
  machineBusy: number | undefined;
}

export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuDelta {
  const delta = (a: Map<number, number> | undefined, b: Map<number, number> | undefined) => {
    if (!a || !b) return undefined;
    let seconds = 0;
    for (const [pid, value] of b) seconds += value - (a.get(pid) ?? 0);
    return seconds;
  };
  const postgresSeconds = delta(before.postgres, after.postgres);
  const redisSeconds = delta(before.redis, after.redis);
  let machineBusy: number | undefined;
  if (before.machine && after.machine && after.machine.total > before.machine.total) {
    machineBusy = (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total);
  }
  return { postgresSeconds, redisSeconds, machineBusy };
}

export function machineDescription(): { cpus: number; cpuModel: string; memoryGiB: number } {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}
