import { performance } from 'node:perf_hooks';
import { cleanFinishedJobs, DEFAULT_RETENTION, DEFAULT_SCHEMA, PgDatabase } from '@jobfleet/core';
import { sleep } from '../resources.ts';
import { tenthRates, type TenthRates } from '../stats.ts';
import type { SystemFactory } from '../types.ts';
import { measureBulkEnqueue, type BulkEnqueueResult } from './bulk-enqueue.ts';
import { waitDrained } from './drain.ts';
import { withSession } from './session.ts';

export interface SoakOptions {
  n: number;
  concurrency: number;
  timeoutMs: number;
  /** Retention the cleaner runs with at the end: every completed job older than this goes. */
  retentionMs: number;
}

/** Sizes of the jobs table, bytes. */
export interface TableSizes {
  /** Heap, indexes and TOAST (pg_total_relation_size). */
  total: number;
  /** All indexes of the table (pg_indexes_size). */
  indexes: number;
  rows: number;
}

export interface SoakResult {
  system: string;
  n: number;
  concurrency: number;
  enqueue: BulkEnqueueResult;
  drainMs: number;
  jobsPerSec: number;
  /** Throughput over the first and last tenth of completions (storage's finished_at). */
  tenths: TenthRates;
  completed: number;
  distinctRan: number;
  duplicates: number;
  sizes: { drained: TableSizes; cleaned: TableSizes; vacuumed: TableSizes };
  cleaner: { retentionMs: number; deleted: number; ms: number };
  vacuumMs: number;
  ok: boolean;
  error?: string;
}

/**
 * Workload 7 (Jobfleet only): n no-op jobs enqueued in bulk and drained by one worker. The throughput
 * of the first and of the last tenth of completions, from the jobs' finished_at in storage, shows
 * whether the engine slows down as the table fills with finished jobs. Then the cleaner
 * (packages/core/src/maintenance/cleaner.ts) deletes them with a short retention, and a plain VACUUM
 * runs; the jobs table's size is taken after the drain, after the cleaner and after VACUUM.
 */
export async function runSoak(factory: SystemFactory, opts: SoakOptions): Promise<SoakResult> {
  return withSession(factory, async (system, tracker, place) => {
    if (!place.databaseUrl) throw new Error('The soak workload needs PostgreSQL.');
    const db = new PgDatabase({ connectionString: place.databaseUrl, max: 1 });
    const jobs = `${DEFAULT_SCHEMA}.jobs`;
    try {
      tracker.expect(opts.n);
      const enqueue = await measureBulkEnqueue(system, opts.n);
      const t0 = performance.now();
      await system.startWorkers(opts.concurrency);
      const { ran, drained, remaining } = await waitDrained(system, tracker, opts.n, t0 + opts.timeoutMs);
      const drainMs = performance.now() - t0;
      const errors: string[] = [];
      if (!ran) errors.push(`timed out after ${opts.timeoutMs} ms with ${tracker.distinct} of ${opts.n} jobs run`);
      else if (!drained) errors.push(`all handlers ran but ${remaining} jobs still unfinished in storage`);
      if (tracker.duplicates) errors.push(`${tracker.duplicates} jobs ran twice`);

      const { rows } = await db.query<{ n: number; t0: number; t10: number; t90: number; t100: number }>(
        `SELECT n, q[1] AS t0, q[2] AS t10, q[3] AS t90, q[4] AS t100 FROM (
           SELECT count(*)::int AS n,
                  percentile_disc(ARRAY[0, 0.1, 0.9, 1]::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at)::float8) AS q
           FROM ${jobs} WHERE status = 'COMPLETED') s`,
      );
      const r = rows[0];
      const completed = r?.n ?? 0;
      if (completed !== opts.n) errors.push(`storage shows ${completed} completed, expected ${opts.n}`);
      const tenths = r ? tenthRates(completed, r.t0, r.t10, r.t90, r.t100) : { first: NaN, last: NaN, ratio: NaN };

      // The workers are idle now; stop them so that the cleaner and VACUUM run alone.
      await system.teardown();
      const drainedSizes = await sizes(db, jobs);
      await sleep(opts.retentionMs + 100);
      const c0 = performance.now();
      const deleted = await cleanFinishedJobs(db, DEFAULT_SCHEMA, { ...DEFAULT_RETENTION, completedMs: opts.retentionMs });
      const cleanerMs = performance.now() - c0;
      const cleaned = await sizes(db, jobs);
      const v0 = performance.now();
      await db.query(`VACUUM ${jobs}`);
      const vacuumMs = performance.now() - v0;
      const vacuumed = await sizes(db, jobs);
      if (deleted !== completed) errors.push(`the cleaner deleted ${deleted} of ${completed} completed jobs`);
      return {
        system: system.id,
        n: opts.n,
        concurrency: opts.concurrency,
        enqueue,
        drainMs,
        jobsPerSec: opts.n / (drainMs / 1000),
        tenths,
        completed,
        distinctRan: tracker.distinct,
        duplicates: tracker.duplicates,
        sizes: { drained: drainedSizes, cleaned, vacuumed },
        cleaner: { retentionMs: opts.retentionMs, deleted, ms: cleanerMs },
        vacuumMs,
        ok: errors.length === 0,
        ...(errors.length ? { error: errors.join('; ') } : {}),
      };
    } finally {
      await db.close();
    }
  });
}

async function sizes(db: PgDatabase, table: string): Promise<TableSizes> {
  const { rows } = await db.query<{ total: string; indexes: string; rows: number }>(
    `SELECT pg_total_relation_size('${table}')::text AS total, pg_indexes_size('${table}')::text AS indexes,
            (SELECT count(*)::int FROM ${table}) AS rows`,
  );
  const r = rows[0];
  return { total: Number(r?.total ?? NaN), indexes: Number(r?.indexes ?? NaN), rows: r?.rows ?? -1 };
}
