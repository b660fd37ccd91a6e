import { performance } from 'node:perf_hooks';
import { PgCostProbe } from '../pg-cost.ts';
import { sleep } from '../resources.ts';
import type { JobTracker } from '../tracker.ts';
import type { BenchSystem, SystemFactory } from '../types.ts';
import { measureBulkEnqueue, type BulkEnqueueResult } from './bulk-enqueue.ts';
import { pollUntil, withSession } from './session.ts';

export interface DrainOptions {
  n: number;
  concurrency: number;
  /** Give up after this long (the run is then reported as failed). */
  timeoutMs: number;
  /** Overrides the drain cap of systems that declare one (maxDrainJobs), e.g. smaller in quick runs. */
  cappedN?: number | undefined;
}

export interface DrainResult {
  system: string;
  n: number;
  concurrency: number;
  enqueue: BulkEnqueueResult;
  /** From starting the workers until storage shows every job finished. */
  drainMs: number;
  jobsPerSec: number;
  /** Until the last handler ran (storage may still be writing completions). */
  handlersDoneMs: number;
  /** CPU time (user + system) of the benchmark process during the drain, per 1,000 jobs: the client side's cost. */
  clientCpuMsPer1k: number;
  /** The same during the bulk enqueue. */
  enqueueCpuMsPer1k: number;
  /**
   * CPU time of the session database's PostgreSQL backends during the drain, per 1,000 jobs (from
   * /proc; absent for Redis and PGlite, or when /proc cannot be read): the server side's cost.
   */
  pgBackendCpuMsPer1k?: number;
  completed: number;
  remaining: number;
  distinctRan: number;
  duplicates: number;
  ok: boolean;
  error?: string;
}

/**
 * Waits until every one of n jobs ran (cheap, in process: the tracker) and then until storage shows
 * none unfinished (completion writes included), polling every 5 ms; only the tail is polled, so the
 * polling itself does not load the database during the drain.
 */
export async function waitDrained(
  system: BenchSystem,
  tracker: JobTracker,
  n: number,
  deadline: number,
): Promise<{ ran: boolean; drained: boolean; remaining: number; handlersDoneAt: number }> {
  const ran = await pollUntil(() => tracker.distinct >= n, 2, deadline - performance.now());
  const handlersDoneAt = performance.now();
  let remaining = -1;
  const drained =
    ran &&
    (await pollUntil(async () => (remaining = await system.remaining()) === 0, 5, Math.max(1000, deadline - performance.now())));
  return { ran, drained, remaining, handlersDoneAt };
}

/**
 * Workload 1 (and 5 on PGlite): enqueue n no-op jobs in bulk, ANALYZE, start the workers, and time
 * until storage shows every job finished. Verifies that every job ran (each payload index seen) and
 * that storage records n completions.
 */
export async function runDrain(factory: SystemFactory, opts: DrainOptions): Promise<DrainResult> {
  return withSession(factory, async (system, tracker, place) => {
    const cap = system.maxDrainJobs === undefined ? Infinity : (opts.cappedN ?? system.maxDrainJobs);
    opts = { ...opts, n: Math.min(opts.n, cap) };
    tracker.expect(opts.n);
    const e0 = process.cpuUsage();
    const enqueue = await measureBulkEnqueue(system, opts.n);
    const enqueueCpu = process.cpuUsage(e0);
    // Opened before the clock starts; backends that connect during the drain count from zero.
    const pgCost = system.backend === 'postgresql' && place.databaseUrl ? new PgCostProbe(place.databaseUrl) : null;
    await pgCost?.begin();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await system.startWorkers(opts.concurrency);
    const { ran, drained, remaining, handlersDoneAt } = await waitDrained(system, tracker, opts.n, t0 + opts.timeoutMs);
    const handlersDoneMs = handlersDoneAt - t0;
    const drainMs = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const pg = await pgCost?.end(opts.n / 1000).finally(() => pgCost.close());
    // Nothing more may run after the drain: wait a little and look again.
    await sleep(200);
    const [completed, remainingAfter] = [await system.completed(opts.n), await system.remaining()];
    const errors: string[] = [];
    if (!ran) errors.push(`timed out after ${opts.timeoutMs} ms with ${tracker.distinct} of ${opts.n} jobs run`);
    else if (!drained) errors.push(`all handlers ran but ${remaining} jobs still unfinished in storage`);
    if (completed !== opts.n) errors.push(`storage shows ${completed} completed, expected ${opts.n}`);
    if (remainingAfter !== 0) errors.push(`${remainingAfter} jobs unfinished in storage`);
    if (tracker.duplicates) errors.push(`${tracker.duplicates} jobs ran twice`);
    if (tracker.stray) errors.push(`${tracker.stray} unexpected handler calls`);
    return {
      system: system.id,
      n: opts.n,
      concurrency: opts.concurrency,
      enqueue,
      drainMs,
      jobsPerSec: opts.n / (drainMs / 1000),
      handlersDoneMs,
      clientCpuMsPer1k: (cpu.user + cpu.system) / 1000 / (opts.n / 1000),
      enqueueCpuMsPer1k: (enqueueCpu.user + enqueueCpu.system) / 1000 / (opts.n / 1000),
      ...(pg?.backendCpuMsPerJob != null ? { pgBackendCpuMsPer1k: pg.backendCpuMsPerJob } : {}),
      completed,
      remaining: remainingAfter,
      distinctRan: tracker.distinct,
      duplicates: tracker.duplicates,
      ok: errors.length === 0,
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
  });
}
