import { describe, expect, it } from 'vitest';
import { benchBrokerPrefix, usesBroker } from '../broker.ts';
import { feed } from '../feed.ts';
import { sessionDatabaseName } from '../resources.ts';
import { httpTargetsMet, TARGETS } from '../report-tables.ts';
import { renderMarkdown, summarizeDrain, type RunResults } from '../report.ts';
import { duplicatesIn, efficiency, linearIdeal, median, mergeSeen, scaleoutBacklog, steadyRss, tenthRates } from '../stats.ts';
import { SYSTEMS } from '../systems/index.ts';
import { LOAD_SYSTEM } from '../systems/load.ts';
import { runDrain } from '../workloads/drain.ts';
import { percentile } from '../workloads/latency.ts';

/** A run's results around the given systems and drains, as the report renders them. */
function drainResults(n: number, ids: string[], drain: RunResults['drain']): RunResults {
  const systems = ids.map((id) => {
    const s = SYSTEMS[id]!();
    return { id, label: s.label, backend: s.backend, version: s.version, settings: s.settings };
  });
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    mode: 'quick',
    command: 'test',
    machine: { cpus: 2, cpuModel: 'test', memGiB: 1, node: process.versions.node, platform: 'test', loadAtStart: [0, 0, 0] },
    services: { postgres: 'n/a', redis: 'n/a' },
    params: { n, reps: 1, latencySamples: 0, latencyReps: 0, concurrency: 24, interleaving: 'n/a' },
    systems,
    drain,
    latency: [],
  };
}

// Keeps the harness from rotting: the quick drain's code path on the embedded database, no timings asserted.
describe('bench harness', () => {
  it('knows which session databases have broker queues to delete with them, from the name alone', () => {
    // A killed session leaves only its database's name behind: the cleanup must tell RabbitMQ sessions by it.
    const systems = Object.keys(SYSTEMS);
    expect(systems).toContain('jobfleet-rabbitmq');
    for (const id of systems) {
      const name = sessionDatabaseName(id);
      expect(name).toMatch(/^bench_[a-z0-9_]+_[0-9a-f]{8}$/);
      expect(usesBroker(name), id).toBe(id === 'jobfleet-rabbitmq');
    }
    expect(benchBrokerPrefix('bench_jobfleet_rabbitmq_0a1b2c3d')).toBe('bench-bench_jobfleet_rabbitmq_0a1b2c3d');
  });

  // PGlite's first open compiles WebAssembly and runs initdb: seconds on a busy machine, hence the long timeout.
  it('drains 500 no-op jobs on jobfleet-pglite and verifies every one completed', { timeout: 180_000 }, async () => {
    const factory = SYSTEMS['jobfleet-pglite'];
    expect(factory).toBeDefined();
    const r = await runDrain(factory!, { n: 500, concurrency: 24, timeoutMs: 50_000 });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.completed).toBe(500);
    expect(r.distinctRan).toBe(500);
    expect(r.duplicates).toBe(0);
    expect(r.remaining).toBe(0);
    expect(r.jobsPerSec).toBeGreaterThan(0);

    // The report renders from these results.
    const results = drainResults(500, ['jobfleet-pglite'], [{ rep: 1, ...r }]);
    expect(summarizeDrain(results)[0]?.ok).toBe(true);
    expect(renderMarkdown(results, 'x.json')).toContain('Embedded');
  });

  it("shows the PostgreSQL backends' CPU per 1,000 jobs beside the client's, and a dash where none was measured", () => {
    const drain = (system: string, jobsPerSec: number, pg?: number) => ({
      rep: 1,
      system,
      n: 1000,
      concurrency: 24,
      enqueue: { n: 1000, ms: 20, jobsPerSec: 50_000 },
      drainMs: 1000,
      jobsPerSec,
      handlersDoneMs: 990,
      clientCpuMsPer1k: 12,
      enqueueCpuMsPer1k: 9,
      ...(pg === undefined ? {} : { pgBackendCpuMsPer1k: pg }),
      completed: 1000,
      remaining: 0,
      distinctRan: 1000,
      duplicates: 0,
      ok: true,
    });
    const results = drainResults(1000, ['jobfleet-pg', 'bullmq'], [drain('jobfleet-pg', 30_000, 33.4), drain('bullmq', 20_000)]);
    const [pg, redis] = summarizeDrain(results);
    expect(pg?.pgCpuPer1k).toBe(33.4);
    expect(redis?.pgCpuPer1k).toBeNaN();
    const md = renderMarkdown(results, 'x.json');
    expect(md).toContain('PostgreSQL backends CPU, ms per 1k jobs');
    expect(md).toMatch(/\| \*\*Jobfleet [^|]*\*\* \| 1,000 \| \*\*30,000\*\* \|.*\| 12 \| 33 \| /);
    expect(md).toMatch(/\| BullMQ [^|]* \| 1,000 \| 20,000 \|.*\| 12 \| — \| /);
  });

  it('computes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 95)).toBe(7);
  });
});

describe('scale-out, soak and memory arithmetic', () => {
  it('caps the linear ideal by the slots and by one process × processes', () => {
    expect(linearIdeal(1, 50, 10)).toBe(5000);
    expect(linearIdeal(8, 50, 10)).toBe(40_000);
    expect(linearIdeal(8, 50, 10, 3000)).toBe(24_000);
    expect(linearIdeal(8, 50, 10, 6000)).toBe(40_000);
    expect(linearIdeal(2, 50, 10, NaN)).toBe(10_000);
    expect(efficiency(12_000, 24_000)).toBe(0.5);
    expect(efficiency(1, 0)).toBeNaN();
  });

  it('sizes a scale-out backlog for the run with headroom, within bounds, in thousands', () => {
    expect(scaleoutBacklog(5000, 14_000, { min: 10_000, max: 400_000 })).toBe(88_000);
    expect(scaleoutBacklog(100, 14_000, { min: 10_000, max: 400_000 })).toBe(10_000);
    expect(scaleoutBacklog(1e6, 14_000, { min: 10_000, max: 400_000 })).toBe(400_000);
  });

  it('computes the first and last tenth rates of a soak and their ratio', () => {
    const r = tenthRates(1000, 100, 101, 109, 111);
    expect(r.first).toBe(100);
    expect(r.last).toBe(50);
    expect(r.ratio).toBe(0.5);
    // Completions of one transaction share a timestamp: a zero span has no rate.
    expect(tenthRates(10, 5, 5, 6, 7).first).toBeNaN();
  });

  it('takes the steady RSS as the median of the second half of the window', () => {
    const samples = [0, 100, 200, 300, 400, 500, 600].map((t, k) => ({ t, rss: [900, 10, 20, 50, 40, 60, 999][k] as number }));
    // Window 0–500: second half 250–500 holds 50, 40, 60.
    expect(steadyRss(samples, 0, 500)).toBe(50);
    expect(steadyRss([], 0, 500)).toBeNaN();
    expect(median([3, 1, 2, NaN])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('merges the workers’ seen-maps and counts jobs that ran twice', () => {
    const counts = new Uint8Array(5);
    mergeSeen(counts, Uint8Array.from([1, 1, 0, 0, 0]));
    mergeSeen(counts, Uint8Array.from([0, 1, 1, 0, 2]));
    expect(duplicatesIn(counts)).toEqual({ distinct: 4, duplicates: 2 });
  });

  it('feeds a steady load in numbered batches until told to stop', async () => {
    const calls: [number, number][] = [];
    const sent = await feed(
      100,
      () => calls.length < 3,
      async (from, n) => void calls.push([from, n]),
      25,
    );
    expect(calls).toEqual([
      [0, 10],
      [10, 10],
      [20, 5],
    ]);
    expect(sent).toBe(25);
  });

  it('checks the HTTP targets', () => {
    expect(httpTargetsMet({ perSec: 10_000, p99: 50, errors: 0, non2xx: 0 })).toEqual({ rate: true, p99: true, errors: true });
    expect(httpTargetsMet({ perSec: 9_999, p99: 51, errors: 0, non2xx: 1 })).toEqual({ rate: false, p99: false, errors: false });
    expect(TARGETS.workerRssMiB).toBeCloseTo(143.05, 1);
  });

  it('loads every system lazily under the same ids as the registry', () => {
    expect(Object.keys(LOAD_SYSTEM).sort()).toEqual(Object.keys(SYSTEMS).sort());
  });

  it('renders the HTTP, scale-out, soak and memory tables with their targets', () => {
    const sys = (id: string, label: string) => ({ id, label, backend: 'postgresql' as const, version: 'v', settings: {} });
    const scale = (system: string, processes: number, jobsPerSec: number) => ({
      system,
      processes,
      concurrency: 50,
      jobMs: 10,
      backlog: 50_000,
      windowMs: 5000,
      jobs: jobsPerSec * 5,
      jobsPerSec,
      drainedEarly: false,
      pg: {
        statementMsPerJob: null,
        statementNote: 'pg_stat_statements must be loaded via shared_preload_libraries',
        backendCpuMsPerJob: 0.1,
      },
      workerCpuMsPerJob: 0.045,
      distinctRan: jobsPerSec * 5,
      duplicates: 0,
      workerPeakRssMiB: 160,
      workerSteadyRssMiB: 150,
      ok: true,
    });
    const sizes = (total: number, rows: number) => ({ total, indexes: total / 4, rows });
    const results: RunResults = {
      ...drainResults(0, [], []),
      params: {
        n: 0,
        reps: 0,
        latencySamples: 0,
        latencyReps: 0,
        concurrency: 24,
        interleaving: 'n/a',
        scaleout: { processes: [1, 2], concurrency: 50, jobMs: 10, warmupMs: 1000, windowMs: 5000, poolSize: 10 },
        memory: { rate: 500, durationMs: 8000, concurrency: 24 },
      },
      systems: [sys('jobfleet-pg', 'Jobfleet PG'), sys('graphile-worker', 'graphile')],
      http: [
        {
          system: 'jobfleet-http',
          connections: 64,
          durationS: 5,
          perSec: 4000,
          p50: 12,
          p90: 20,
          p99: 40,
          max: 90,
          requests: 20_000,
          ok2xx: 20_000,
          non2xx: 0,
          errors: 0,
          timeouts: 0,
          statusCodes: { '201': 20_000 },
          stored: 20_010,
          stored2xx: 20_000,
          sent: 20_064,
          serverCpuMsPer1k: 300,
          serverPeakRssMiB: 200,
          pgTransactionsPerRequest: 2,
          ok: true,
        },
      ],
      scaleout: [scale('jobfleet-pg', 1, 4000), scale('jobfleet-pg', 2, 6000), scale('graphile-worker', 1, 4500)],
      soak: [
        {
          system: 'jobfleet-pg',
          n: 100_000,
          concurrency: 24,
          enqueue: { n: 100_000, ms: 4000, jobsPerSec: 25_000 },
          drainMs: 6000,
          jobsPerSec: 16_000,
          tenths: { first: 17_000, last: 16_000, ratio: 16 / 17 },
          completed: 100_000,
          distinctRan: 100_000,
          duplicates: 0,
          sizes: { drained: sizes(64 * 2 ** 20, 100_000), cleaned: sizes(64 * 2 ** 20, 0), vacuumed: sizes(16 * 2 ** 20, 0) },
          cleaner: { retentionMs: 1000, deleted: 100_000, ms: 2000 },
          vacuumMs: 300,
          ok: true,
        },
      ],
      memory: [
        {
          system: 'jobfleet-pg',
          rate: 500,
          durationMs: 8000,
          concurrency: 24,
          baselineRssMiB: 140,
          steadyRssMiB: 160,
          peakRssMiB: 170,
          peakHeapUsedMiB: 40,
          selfFed: false,
          fed: 4000,
          done: 4000,
          ok: true,
        },
        {
          system: 'graphile-worker',
          rate: 500,
          durationMs: 8000,
          concurrency: 24,
          baselineRssMiB: 80,
          steadyRssMiB: 90,
          peakRssMiB: 95,
          peakHeapUsedMiB: 20,
          selfFed: false,
          fed: 4000,
          done: 4000,
          ok: true,
        },
      ],
      memoryReference: { nodeMiB: 40, tsxMiB: 75 },
    };
    const md = renderMarkdown(results, 'x.json');
    expect(md).toContain('(4) HTTP enqueue');
    expect(md).toMatch(/Submissions\/s .*\| \*\*4,000\*\* \| ≥ 10,000: \*\*not met\*\* \|/);
    expect(md).toMatch(/p99 ≤ 50: met/);
    expect(md).toContain('(6) Scale-out');
    // 2 processes against the 1-process rate × 2 = 8,000: 75 %; 60 % of the 10,000 slots allow.
    expect(md).toMatch(/\| \*\*Jobfleet PG\*\* \| 2 \| \*\*6,000\*\* \| 8,000 \| 75% \| 60% \| n\/a \| 0.100 \| 0.045 \|/);
    expect(md).toContain('PostgreSQL statement time is unavailable');
    expect(md).toContain('(7) Soak');
    expect(md).toMatch(/Last ÷ first \| \*\*0.94×\*\* \| ≥ 0.90× \(drop ≤ 10%\): met/);
    expect(md).toContain('| After VACUUM (0.3 s): total / indexes, MiB / rows | 16.0 / 4.0 / 0 |');
    expect(md).toContain('(8) Memory');
    expect(md).toMatch(/\| \*\*Jobfleet PG\*\* \| 140 \| \*\*160\*\* \| 170 \| 40 \| 4,000 \/ 4,000 \| \*\*not met\*\* \|/);
    expect(md).toMatch(/\| graphile \| 80 \| 90 \| 95 \| 20 \| 4,000 \/ 4,000 \| {2}\|/);
    expect(md).toContain('75 MiB under tsx');
    expect(md).not.toContain('Drain: N =');
  });
});
