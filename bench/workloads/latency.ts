import { performance } from 'node:perf_hooks';
import { sleep } from '../resources.ts';
import type { SystemFactory } from '../types.ts';
import { withSession } from './session.ts';

export interface LatencyOptions {
  samples: number;
  /** Samples for systems that declare maxLatencySamples (polling ones), instead of their own cap. */
  pollingSamplesCap?: number | undefined;
  concurrency: number;
  warmup: number;
  /** A probe that does not start within this long is counted as lost. */
  probeTimeoutMs: number;
  /** Pause between one probe's start and the next enqueue, plus a system's own jitter. */
  gapMs: number;
}

export interface LatencyResult {
  system: string;
  samples: number;
  requested: number;
  lost: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  ok: boolean;
  error?: string;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/**
 * Workload 2: sequential single enqueues of a no-op job to idle workers. The payload carries
 * performance.now() at the enqueue call; the handler's first act records now() - t (same process,
 * same monotonic clock). The next probe is enqueued after the previous one started, a short gap and,
 * for polling systems, a random jitter of one polling interval so probes land at random phases.
 */
export async function runLatency(factory: SystemFactory, opts: LatencyOptions): Promise<LatencyResult> {
  return withSession(factory, async (system, tracker) => {
    const cap = system.maxLatencySamples === undefined ? Infinity : (opts.pollingSamplesCap ?? system.maxLatencySamples);
    const requested = Math.min(opts.samples, cap);
    await system.startWorkers(opts.concurrency);
    await sleep(200);
    const jitter = system.latencyJitterMs ?? 0;
    const values: number[] = [];
    let lost = 0;
    for (let k = 0; k < opts.warmup + requested; k++) {
      await sleep(opts.gapMs + Math.random() * jitter);
      const wait = tracker.nextProbe(opts.probeTimeoutMs);
      await system.latencyProbe({ t: performance.now() });
      const ms = await wait.promise;
      if (k < opts.warmup) continue;
      if (ms === null) lost++;
      else values.push(ms);
    }
    values.sort((a, b) => a - b);
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    return {
      system: system.id,
      samples: values.length,
      requested,
      lost,
      p50: percentile(values, 50),
      p95: percentile(values, 95),
      p99: percentile(values, 99),
      mean,
      max: values[values.length - 1] ?? NaN,
      ok: lost === 0 && values.length === requested,
      ...(lost ? { error: `${lost} probes did not start within ${opts.probeTimeoutMs} ms` } : {}),
    };
  });
}
