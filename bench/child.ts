/**
 * The benchmarked process's side of the IPC protocol (protocol.ts), shared by every server the
 * driver forks: our app (server.ts) and the lean peers (peers/apollo.ts, peers/yoga.ts). Each
 * brings its own HTTP server and counters; this adds what the driver measures the same way for
 * all of them (memory, CPU, event loop, CPU profiles) and answers the driver's messages.
 *
 * A server stops on `{type:'stop'}`, and also by itself when the parent goes away, so a crashed
 * driver never leaves one behind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import type { DriverMessage, HeapReport, ServerMessage, ServerStats } from './protocol';

const RSS_SAMPLE_MS = 100;

/** What a server counts itself, cumulative since it started (fields as protocol.ts defines them). */
export type ServerCounters = Pick<
  ServerStats,
  | 'sqlStatements'
  | 'redisRoundTrips'
  | 'cacheHits'
  | 'cacheMisses'
  | 'cacheStale'
  | 'cacheL1Hits'
  | 'cacheErrors'
  | 'l1Resets'
  | 'requests'
  | 'inFlight'
  | 'subscriptionExecutions'
>;

export interface BenchedServer {
  /** Where the driver sends its GraphQL POSTs. */
  url: string;
  counters(): ServerCounters;
  /** Resolves once the server's cache has finished every write it started (background ones too). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The heap after a full collection, when the process was started with --expose-gc (the live
 * run starts its servers so): twice, a turn apart, so what the first one's finalizers released
 * is gone too. Without it, the heap as it is.
 */
async function heapAfterGc(snapshot: string | undefined): Promise<HeapReport> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  if (snapshot) {
    mkdirSync(path.dirname(snapshot), { recursive: true });
    writeHeapSnapshot(snapshot);
  }
  const memory = process.memoryUsage();
  return { heapUsed: memory.heapUsed, rss: memory.rss, collected: gc !== undefined };
}

function send(message: ServerMessage): void {
  if (process.connected) process.send!(message);
}

/** Starts the server `start` builds and serves the driver's messages until told to stop. */
export function serveBench(start: () => Promise<BenchedServer>): void {
  if (!process.send) {
    process.stderr.write('a benchmarked server runs as a child of bench/run.ts (fork with IPC)\n');
    process.exit(2);
  }
  start().then(
    (server) => {
      listenToDriver(server);
      send({ type: 'ready', url: server.url });
    },
    (err: unknown) => {
      send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      process.exit(1);
    },
  );
}

function listenToDriver(server: BenchedServer): void {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, RSS_SAMPLE_MS);
  sampler.unref();

  const stats = (): ServerStats => {
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    return {
      ...server.counters(),
      rss,
      peakRss,
      maxRss: process.resourceUsage().maxRSS * 1024,
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      eventLoopIdleMs: elu.idle,
      eventLoopActiveMs: elu.active,
    };
  };

  // CPU profiles of the measured windows only (the driver's --profile), through the inspector.
  let profiler: Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => profiler!.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  const startProfile = async () => {
    if (!profiler) {
      profiler = new Session();
      profiler.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
    }
    await post('Profiler.start');
  };
  const stopProfile = async (file: string) => {
    const { profile } = await post('Profiler.stop');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
  };

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(sampler);
      profiler?.disconnect();
      await server.stop();
    })());

  const answer = (work: Promise<unknown>, reply: ServerMessage, what: string) =>
    work.then(
      () => send(reply),
      (err: unknown) => send({ type: 'failed', message: `${what} failed: ${String(err)}` }),
    );

  process.on('message', (message: DriverMessage) => {
    if (message.type === 'stats') {
      send({ type: 'stats', ...stats() });
      if (message.resetPeak) peakRss = process.memoryUsage.rss();
    } else if (message.type === 'settle') {
      void answer(server.settled(), { type: 'settled' }, 'settle');
    } else if (message.type === 'profile-start') {
      void answer(startProfile(), { type: 'profiling' }, 'profile');
    } else if (message.type === 'profile-stop') {
      void answer(stopProfile(message.file), { type: 'profiled', file: message.file }, 'profile');
    } else if (message.type === 'heap') {
      void heapAfterGc(message.snapshot).then((report) => send({ type: 'heap', ...report }));
    } else if (message.type === 'stop') {
      stop().then(
        () => {
          send({ type: 'stopped' });
          process.disconnect();
        },
        (err: unknown) => {
          send({ type: 'failed', message: `stop failed: ${String(err)}` });
          process.exit(1);
        },
      );
    }
  });
  // The parent died or closed the channel without asking: stop anyway, never linger.
  process.on('disconnect', () => {
    stop().finally(() => process.exit(0));
  });
}
