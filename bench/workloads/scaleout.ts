import { performance } from 'node:perf_hooks';
import { PgCostProbe, type PgCost } from '../pg-cost.ts';
import { sleep } from '../resources.ts';
import type { SystemFactory } from '../types.ts';
import { WorkerFleet } from '../worker-fleet.ts';
import { withSession } from './session.ts';

export interface ScaleoutOptions {
  /** Worker processes, each started as a child process of the session. */
  processes: number;
  /** Concurrency of each process. */
  concurrency: number;
  /** What each job waits (I/O-bound work). */
  jobMs: number;
  /** Workers run this long before the window opens (connections, JIT, buffers filling). */
  warmupMs: number;
  windowMs: number;
  /** Jobs enqueued before the workers start: sized to outlast the window (see scaleoutBacklog). */
  backlog: number;
  /** Connection budget per process, the same at every point (8 processes share max_connections). */
  poolSize: number;
}

export interface ScaleoutResult {
  system: string;
  processes: number;
  concurrency: number;
  jobMs: number;
  backlog: number;
  /** Length of the measured window, ms (shorter than asked when the backlog ran out). */
  windowMs: number;
  /** Jobs finished (handler returned) inside the window. */
  jobs: number;
  jobsPerSec: number;
  drainedEarly: boolean;
  /** PostgreSQL's cost per job in the window (null for Redis). */
  pg: PgCost | null;
  /** CPU time of the worker processes in the window, per job, ms (optional: older results lack it). */
  workerCpuMsPerJob?: number;
  distinctRan: number;
  duplicates: number;
  /** Highest peak and steady RSS among the worker processes, MiB. */
  workerPeakRssMiB: number;
  workerSteadyRssMiB: number;
  ok: boolean;
  error?: string;
}

/**
 * Workload 6, one point: `backlog` jobs enqueued, then `processes` worker processes of `concurrency`
 * each run jobs that wait jobMs. After a warm-up, the jobs finished in a fixed window (counted in the
 * workers, over IPC, so the database is not polled) give the rate. The processes are stopped at the
 * end of the window; the session's database is dropped with what is left.
 */
export async function runScaleout(factory: SystemFactory, opts: ScaleoutOptions): Promise<ScaleoutResult> {
  return withSession(factory, async (system, _tracker, place) => {
    await system.enqueueBulk(0, opts.backlog);
    await system.analyze();
    // The producer is done: disconnect, so that it neither competes for the cores (Jobfleet's would
    // receive every worker's relayed events) nor holds connections of the server's budget.
    await system.teardown();
    const fleet = await WorkerFleet.start(system.id, opts.processes, {
      place,
      concurrency: opts.concurrency,
      jobMs: opts.jobMs,
      poolSize: opts.poolSize,
      expect: opts.backlog,
    });
    const probe = place.databaseUrl ? new PgCostProbe(place.databaseUrl) : null;
    const errors: string[] = [];
    let w0 = { t: 0, done: 0, cpu: 0 };
    let w1 = { t: 0, done: 0, cpu: 0 };
    try {
      fleet.go();
      await sleep(opts.warmupMs);
      await probe?.begin();
      w0 = { done: await fleet.done(), t: performance.now(), cpu: fleet.cpuMs() };
      for (;;) {
        await sleep(200);
        w1 = { done: await fleet.done(), t: performance.now(), cpu: fleet.cpuMs() };
        if (w1.done >= opts.backlog || w1.t - w0.t >= opts.windowMs) break;
      }
    } catch (err) {
      errors.push((err as Error).message);
    }
    const jobs = w1.done - w0.done;
    const pg =
      probe && jobs > 0
        ? await probe.end(jobs).catch((err: unknown) => ({
            statementMsPerJob: null,
            statementNote: (err as Error).message,
            backendCpuMsPerJob: null,
          }))
        : null;
    await probe?.close();
    const out = await fleet.stop();
    errors.push(...out.errors);
    if (out.duplicates) errors.push(`${out.duplicates} jobs ran twice`);
    if (out.stray) errors.push(`${out.stray} unexpected handler calls`);
    if (jobs <= 0 && errors.length === 0) errors.push('no job finished in the window');
    const windowMs = w1.t - w0.t;
    return {
      system: system.id,
      processes: opts.processes,
      concurrency: opts.concurrency,
      jobMs: opts.jobMs,
      backlog: opts.backlog,
      windowMs,
      jobs,
      jobsPerSec: windowMs > 0 ? jobs / (windowMs / 1000) : NaN,
      drainedEarly: w1.done >= opts.backlog,
      pg,
      workerCpuMsPerJob: jobs > 0 ? (w1.cpu - w0.cpu) / jobs : NaN,
      distinctRan: out.distinct,
      duplicates: out.duplicates,
      workerPeakRssMiB: maxOf(out.memory.map((m) => m.peakRssMiB)),
      workerSteadyRssMiB: maxOf(out.memory.map((m) => m.steadyRssMiB ?? NaN)),
      ok: errors.length === 0,
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
  });
}

const maxOf = (xs: number[]): number => (xs.length ? Math.max(...xs) : NaN);
