/**
 * One benchmark session in its own process, so no system inherits another's heap, timers or
 * connections, and the process's memory belongs to one system only. run.ts spawns:
 *   node --import tsx bench/session.ts <drain|latency> <system id> '<options JSON>'
 * and reads the line starting with RESULT_MARK from stdout.
 */
import { SYSTEMS } from './systems/index.ts';
import { runDrain, type DrainOptions, type DrainResult } from './workloads/drain.ts';
import { RESULT_MARK } from './types.ts';
import { runLatency, type LatencyOptions, type LatencyResult } from './workloads/latency.ts';

export interface MemoryStats {
  /** RSS of this process before the session started (runtime and libraries loaded), MiB. */
  baselineRssMiB: number;
  /** Highest RSS sampled (every 100 ms) during the session, MiB. */
  peakRssMiB: number;
  peakHeapUsedMiB: number;
}

export type SessionOutput = { kind: 'drain'; result: DrainResult; memory: MemoryStats } | { kind: 'latency'; result: LatencyResult; memory: MemoryStats };

const MiB = 2 ** 20;

async function main(): Promise<void> {
  const [kind, id, json] = process.argv.slice(2);
  const factory = id ? SYSTEMS[id] : undefined;
  if (!factory || (kind !== 'drain' && kind !== 'latency')) throw new Error('usage: session.ts <drain|latency> <system> <options JSON>');
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 100);
  const memory = (): MemoryStats => ({
    baselineRssMiB: Math.round(base.rss / MiB),
    peakRssMiB: Math.round(peakRss / MiB),
    peakHeapUsedMiB: Math.round(peakHeap / MiB),
  });
  let out: SessionOutput;
  if (kind === 'drain') {
    const result = await runDrain(factory, JSON.parse(json ?? '{}') as DrainOptions);
    out = { kind, result, memory: memory() };
  } else {
    const result = await runLatency(factory, JSON.parse(json ?? '{}') as LatencyOptions);
    out = { kind, result, memory: memory() };
  }
  clearInterval(sampler);
  process.stdout.write(RESULT_MARK + JSON.stringify(out) + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
