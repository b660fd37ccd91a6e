import { feed } from '../feed.ts';
import { sleep } from '../resources.ts';
import type { BenchSystem, SystemFactory } from '../types.ts';
import { WorkerFleet } from '../worker-fleet.ts';
import { withSession, type SessionPlace } from './session.ts';

export interface MemoryOptions {
  /** Jobs per second fed to the worker: a steady load that every system keeps up with. */
  rate: number;
  /** How long the load runs; the steady RSS is the median over its second half. */
  durationMs: number;
  concurrency: number;
}

export interface MemoryResult {
  system: string;
  rate: number;
  durationMs: number;
  concurrency: number;
  /** RSS of the worker process once connected, before its workers started, MiB. */
  baselineRssMiB: number;
  /** Median RSS over the second half of the load, MiB. */
  steadyRssMiB: number;
  peakRssMiB: number;
  peakHeapUsedMiB: number;
  /** Whether the worker process also held the database and the producer (embedded). */
  selfFed: boolean;
  fed: number;
  done: number;
  ok: boolean;
  error?: string;
}

/**
 * Workload 8: one worker process (nothing else in it) runs no-op jobs under a steady load of `rate`
 * jobs/s for durationMs, sampling its RSS every 100 ms. The session process is the producer. The
 * embedded database lives in one process, so there the worker process feeds itself.
 */
export async function runMemory(factory: SystemFactory, opts: MemoryOptions): Promise<MemoryResult> {
  // The embedded database exists only inside the worker process: no session database to set up here.
  if (factory().backend === 'pglite') return measure(factory().id, null, {}, opts);
  return withSession(factory, (system, _tracker, place) => measure(system.id, system, place, opts));
}

/** One worker process under load; `system` is the producer here, or null when the worker process feeds itself. */
async function measure(id: string, system: BenchSystem | null, place: SessionPlace, opts: MemoryOptions): Promise<MemoryResult> {
  const selfFed = system === null;
  // Room for the whole load; the seen-map is one byte per job.
  const limit = Math.ceil((opts.rate * opts.durationMs) / 1000) + opts.rate;
  const fleet = await WorkerFleet.start(id, 1, {
    place,
    concurrency: opts.concurrency,
    jobMs: 0,
    expect: limit,
    ...(selfFed ? { selfFeed: { rate: opts.rate } } : {}),
  });
  let going = true;
  fleet.go();
  const feeding = system
    ? feed(
        opts.rate,
        () => going,
        (from, n) => system.enqueueBulk(from, n),
        limit,
      )
    : Promise.resolve(0);
  await sleep(opts.durationMs);
  going = false;
  const fedHere = await feeding.catch(() => -1);
  // Let the last jobs fed finish before the count is taken.
  await sleep(500);
  const out = await fleet.stop();
  const fed = selfFed ? out.fed : fedHere;
  const m = out.memory[0];
  const errors = [...out.errors];
  if (fed < 0) errors.push('the producer failed');
  if (out.duplicates) errors.push(`${out.duplicates} jobs ran twice`);
  if (!m) errors.push('the worker process reported no memory');
  // A worker that fell far behind is not at the steady state this table claims.
  if (fed > 0 && out.done < fed * 0.9) errors.push(`the worker ran ${out.done} of ${fed} jobs fed: it did not keep up`);
  return {
    system: id,
    rate: opts.rate,
    durationMs: opts.durationMs,
    concurrency: opts.concurrency,
    baselineRssMiB: m?.baselineRssMiB ?? NaN,
    steadyRssMiB: m?.steadyRssMiB ?? NaN,
    peakRssMiB: m?.peakRssMiB ?? NaN,
    peakHeapUsedMiB: m?.peakHeapUsedMiB ?? NaN,
    selfFed,
    fed,
    done: out.done,
    ok: errors.length === 0,
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}
