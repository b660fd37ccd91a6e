/**
 * Chaos 1: worker processes killed with SIGKILL every 2 s and restarted, on a real PostgreSQL.
 * Short form in `npm test` (5,000 jobs); `npm run test:chaos` runs 50,000.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, Jobfleet } from '../../src/index.ts';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '../../testing/index.ts';
import { createLedger, figure, FULL, ledgerCounts, sleep, startWorker, type Proc } from './helpers.ts';

// Same name and schema as the fixture's, so this process can enqueue without running the handler.
const ledger = defineJob({ name: 'ledger', schema: z.object({ n: z.number(), ms: z.number().optional() }), handler: () => null });

const N = FULL ? 50_000 : 5_000;
const WORKERS = 4;
const CONCURRENCY = FULL ? 16 : 8;
const PREFETCH = CONCURRENCY;
const JOB_MS = 25;
const LEASE_MS = 2000;
const KILL_EVERY_MS = 2000;

describe.runIf(pgAvailable)('chaos: worker processes killed with SIGKILL mid-run', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  const slots: (Proc | null)[] = [];
  const starting: Promise<unknown>[] = [];
  const env = () => ({
    DATABASE_URL: db.url,
    CONCURRENCY: String(CONCURRENCY),
    PREFETCH: String(PREFETCH),
    LEASE_MS: String(LEASE_MS),
    JOB_MS: String(JOB_MS),
    RESCUE_MS: '500',
  });

  beforeAll(async () => {
    db = await createTestDatabase('jobfleet_chaos');
    fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [ledger] });
    await createLedger(fleet.db);
  });
  afterAll(async () => {
    await Promise.allSettled(starting);
    await Promise.all(slots.map((p) => p?.stop('SIGKILL', 5000)));
    await fleet?.close();
    await db?.drop();
  });

  it(
    `${N} jobs on ${WORKERS} workers, one SIGKILLed every ${KILL_EVERY_MS / 1000} s: each completes exactly once, none lost`,
    async () => {
      const t0 = Date.now();
      slots.push(...(await Promise.all(Array.from({ length: WORKERS }, () => startWorker(env())))));
      // maxAttempts well above the kills a job could live through: a job caught in several kills must not die.
      await fleet.client.enqueueMany(
        Array.from({ length: N }, (_, n) => ({ type: 'ledger', payload: { n }, options: { maxAttempts: 1000 } })),
      );
      const completed = async () =>
        (await fleet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobfleet.jobs WHERE status = 'COMPLETED'`)).rows[0]!
          .n;

      const killed: { pid: number; at: number }[] = [];
      const startFailures: string[] = [];
      const deadline = Date.now() + (FULL ? 900_000 : 240_000);
      while ((await completed()) < N && Date.now() < deadline) {
        await sleep(KILL_EVERY_MS);
        const live = slots.map((p, i) => (p?.alive() ? i : -1)).filter((i) => i >= 0);
        if (live.length === 0) continue;
        const i = live[Math.floor(Math.random() * live.length)]!;
        const victim = slots[i]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        killed.push({ pid: victim.pid, at: Date.now() });
        if (process.env.JOBFLEET_CHAOS_DEBUG)
          figure('progress', { s: (Date.now() - t0) / 1000, done: await completed(), live: live.length });
        slots[i] = null;
        // Restarted at once; it takes part again once it is ready (start-up is slow on a loaded machine).
        const restart = startWorker(env()).then(
          (p) => (slots[i] = p),
          (e: Error) => startFailures.push(e.message),
        );
        starting.push(restart);
      }
      await waitFor(async () => (await completed()) === N, {
        timeoutMs: FULL ? 600_000 : 180_000,
        intervalMs: 250,
        what: `${N} completions`,
      });
      const seconds = (Date.now() - t0) / 1000;

      const counts = await ledgerCounts(fleet.db);
      figure('worker-crash', { kills: killed.length, seconds, ...counts });
      expect(killed.length).toBeGreaterThan(0);
      expect(startFailures).toEqual([]);
      // Every job COMPLETED, once each (one row per job, and no job in any other state).
      expect(counts.jobs).toBe(N);
      expect(counts.completed).toBe(N);
      expect(counts.notCompleted).toBe(0);
      // The ledger: no job lost (each ran at least once).
      expect(counts.distinctExecuted).toBe(N);

      // Re-executions only for jobs in flight at a kill: every execution but a job's last was made by a
      // process that was then killed, and each repeat follows a rescued (LEASE_EXPIRED) attempt.
      const killedPids = new Set(killed.map((k) => k.pid));
      const { rows: repeats } = await fleet.db.query<{ job_id: string; pids: number[]; expired: number }>(
        `SELECT l.job_id, array_agg(l.pid ORDER BY l.at) AS pids,
              (SELECT count(*)::int FROM jsonb_array_elements(coalesce(j.errors, '[]'::jsonb)) e
                WHERE e->>'code' = 'LEASE_EXPIRED') AS expired
       FROM public.ledger l JOIN jobfleet.jobs j ON j.id = l.job_id
       GROUP BY l.job_id, j.errors HAVING count(*) > 1`,
      );
      const perKill = new Map<number, number>();
      for (const r of repeats) {
        const earlier = r.pids.slice(0, -1);
        for (const pid of earlier) {
          expect(killedPids.has(pid)).toBe(true);
          perKill.set(pid, (perKill.get(pid) ?? 0) + 1);
        }
        expect(r.expired).toBeGreaterThanOrEqual(earlier.length);
      }
      const maxPerKill = Math.max(0, ...perKill.values());
      figure('worker-crash re-executions', {
        reexecutions: counts.reexecutions,
        perKillAverage: +(counts.reexecutions / killed.length).toFixed(2),
        maxPerKill,
        bound: CONCURRENCY + PREFETCH,
      });
      // What a kill can make run again is what the killed worker had executed without its outcome written:
      // its running jobs plus finished ones still in its outcome writer's queue. The worker starts a job
      // only while running + unwritten outcomes < concurrency + prefetch, so a kill re-runs at most
      // CONCURRENCY + PREFETCH jobs. Checked above exactly: every repeat is of an execution by a
      // killed process, after a rescue.
      expect(maxPerKill).toBeLessThanOrEqual(CONCURRENCY + PREFETCH);
      expect(maxPerKill).toBeGreaterThan(0);

      // The survivors stop cleanly.
      await Promise.allSettled(starting);
      for (const [i, p] of slots.entries()) {
        if (!p) continue;
        expect((await p.stop('SIGTERM')).code).toBe(0);
        slots[i] = null;
      }
    },
    FULL ? 1_800_000 : 600_000,
  );
});
