/**
 * Chaos 4: SIGTERM to `jobfleet worker` processes under load. Running jobs finish within the grace
 * period or go back to the queue (attempt not counted); nothing is left RUNNING; exit code 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, Jobfleet } from '../../src/index.ts';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '../../testing/index.ts';
import { createLedger, figure, FULL, LEDGER_JOBS_DIR, ledgerCounts, startCli, type Proc } from './helpers.ts';

const ledger = defineJob({ name: 'ledger', schema: z.object({ n: z.number(), ms: z.number().optional() }), handler: () => null });

const SHORT = FULL ? 10_000 : 1500;
const SHORT_MS = 100;
const LONG = 10;
const LONG_MS = 5000;
const GRACE_MS = 1500;

describe.runIf(pgAvailable)('chaos: SIGTERM to workers under load', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  const procs: Proc[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('jobfleet_chaos');
    fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [ledger] });
    await createLedger(fleet.db);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL', 5000)));
    await fleet?.close();
    await db?.drop();
  });

  const startWorker = async () => {
    const p = startCli(['worker', '--jobs', LEDGER_JOBS_DIR, '--concurrency', '10', '--grace-ms', String(GRACE_MS)], {
      DATABASE_URL: db.url,
    });
    procs.push(p);
    await p.waitForOutput(/worker running/);
    return p;
  };

  it(
    'running jobs finish or return to the queue, nothing stays RUNNING, exit code 0',
    async () => {
      const [a, b] = await Promise.all([startWorker(), startWorker()]);
      // Long jobs first (higher priority), so that they are running when the signal comes.
      const long = await fleet.client.enqueueMany(
        Array.from({ length: LONG }, (_, n) => ({ type: 'ledger', payload: { n, ms: LONG_MS }, options: { priority: 10 } })),
      );
      await fleet.client.enqueueMany(Array.from({ length: SHORT }, (_, n) => ({ type: 'ledger', payload: { n, ms: SHORT_MS } })));
      await waitFor(async () => (await ledgerCounts(fleet.db)).executions >= LONG + 100, {
        timeoutMs: 120_000,
        intervalMs: 50,
        what: 'the run to be under way',
      });
      const before = await ledgerCounts(fleet.db);
      const [ea, eb] = await Promise.all([a!.stop('SIGTERM'), b!.stop('SIGTERM')]);
      expect(ea).toEqual({ code: 0, signal: null });
      expect(eb).toEqual({ code: 0, signal: null });

      // Right after the exit, before any rescuer: nothing RUNNING.
      const after = await ledgerCounts(fleet.db);
      expect(after.running).toBe(0);
      // The long jobs outlived the grace period: handed back to the queue, their attempt not counted.
      const { rows: longRows } = await fleet.db.query<{ status: string; attempts: number }>(
        `SELECT status, attempts FROM jobfleet.jobs WHERE id = ANY($1::uuid[])`,
        [long.map((j) => j.id)],
      );
      for (const r of longRows) expect(r).toEqual({ status: 'QUEUED', attempts: 0 });
      // Every short job that started has finished: none was cut off.
      const { rows: cut } = await fleet.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM jobfleet.jobs j
       WHERE (j.payload->>'ms')::int = $1 AND j.status <> 'COMPLETED' AND EXISTS (SELECT 1 FROM public.ledger l WHERE l.job_id = j.id)`,
        [SHORT_MS],
      );
      expect(cut[0]!.n).toBe(0);
      figure('shutdown', { atSignal: before, afterExit: after, exit: [ea, eb] });

      // A new worker finishes the rest: every job completed; only the handed-back long jobs ran twice.
      const c = await startWorker();
      await waitFor(async () => (await ledgerCounts(fleet.db)).completed === SHORT + LONG, {
        timeoutMs: 300_000,
        intervalMs: 250,
        what: 'every job to complete',
      });
      const end = await ledgerCounts(fleet.db);
      expect(end.distinctExecuted).toBe(SHORT + LONG);
      const { rows: twice } = await fleet.db.query<{ ms: number }>(
        `SELECT (j.payload->>'ms')::int AS ms FROM public.ledger l JOIN jobfleet.jobs j ON j.id = l.job_id
       GROUP BY j.id HAVING count(*) > 1`,
      );
      expect(twice.every((r) => r.ms === LONG_MS)).toBe(true);
      figure('shutdown end', end);
      expect((await c.stop('SIGTERM')).code).toBe(0);
    },
    FULL ? 900_000 : 300_000,
  );
});
