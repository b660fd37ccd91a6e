import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { defineJob, Jobfleet, migrate, coreMigrations, PgDatabase } from '../src/index.ts';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '../testing/index.ts';
import { startScript, waitExit } from './helpers/processes.ts';

// Same name and schema as the fixture's, so this process can enqueue without the handler.
const ledger = defineJob({ name: 'ledger', schema: z.object({ n: z.number() }), handler: () => null });

describe.runIf(pgAvailable)('several worker processes on one real PostgreSQL', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [ledger] });
    await fleet.db.query(
      `CREATE TABLE ledger (job_id uuid NOT NULL, n int NOT NULL, pid int NOT NULL, attempt int NOT NULL, at timestamptz DEFAULT now())`,
    );
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await fleet?.close();
    await db?.drop();
  });

  it('applies migrations exactly once when many processes start together', async () => {
    const other = await createTestDatabase();
    try {
      const dbs = Array.from({ length: 6 }, () => new PgDatabase({ connectionString: other.url, max: 2 }));
      const results = await Promise.all(dbs.map((d) => migrate(d, { schema: 'jobfleet', migrations: coreMigrations() })));
      expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
      const second = await migrate(dbs[0]!, { schema: 'jobfleet', migrations: coreMigrations() });
      expect(second.applied).toEqual([]);
      // A second schema in the same database is independent.
      const app2 = await migrate(dbs[0]!, { schema: 'app_two', migrations: coreMigrations() });
      expect(app2.applied.length).toBe(coreMigrations().length);
      await Promise.all(dbs.map((d) => d.close()));
    } finally {
      await other.drop();
    }
  });

  it('four worker processes complete each of 10,000 jobs exactly once', async () => {
    for (let i = 0; i < 4; i++)
      children.push(await startScript('../fixtures/ledger-worker.ts', { DATABASE_URL: db.url, CONCURRENCY: '20' }));
    await fleet.client.enqueueMany(Array.from({ length: 10_000 }, (_, n) => ({ type: 'ledger', payload: { n } })));
    await waitFor(
      async () =>
        (await fleet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobfleet.jobs WHERE status = 'COMPLETED'`)).rows[0]!
          .n === 10_000,
      { timeoutMs: 240_000, intervalMs: 250, what: '10,000 completions' },
    );
    const { rows } = await fleet.db.query<{ runs: number; distinct_jobs: number; pids: number; left: number }>(
      `SELECT count(*)::int AS runs, count(DISTINCT job_id)::int AS distinct_jobs, count(DISTINCT pid)::int AS pids,
              (SELECT count(*)::int FROM jobfleet.jobs WHERE status <> 'COMPLETED') AS left
       FROM ledger`,
    );
    expect(rows[0]).toEqual({ runs: 10_000, distinct_jobs: 10_000, pids: 4, left: 0 });
    for (const c of children.splice(0)) {
      c.kill('SIGTERM');
      expect(await waitExit(c)).toBe(0);
    }
  }, 300_000);

  it('a worker killed with SIGKILL mid-job: its jobs run again elsewhere after the lease expires, and finish', async () => {
    await fleet.db.query('TRUNCATE ledger');
    const victim = await startScript('../fixtures/ledger-worker.ts', {
      DATABASE_URL: db.url,
      CONCURRENCY: '5',
      LEASE_MS: '1500',
      JOB_MS: '400',
    });
    children.push(victim);
    const jobs = await fleet.client.enqueueMany(Array.from({ length: 40 }, (_, n) => ({ type: 'ledger', payload: { n } })));
    await waitFor(async () => (await fleet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger')).rows[0]!.n >= 5);
    victim.kill('SIGKILL');
    await waitExit(victim);
    const survivor = await startScript('../fixtures/ledger-worker.ts', {
      DATABASE_URL: db.url,
      CONCURRENCY: '5',
      LEASE_MS: '1500',
      JOB_MS: '50',
    });
    children.push(survivor);
    await waitFor(
      async () =>
        (
          await fleet.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM jobfleet.jobs WHERE status = 'COMPLETED' AND type = 'ledger'`,
          )
        ).rows[0]!.n === 10_040,
      { timeoutMs: 60_000, intervalMs: 200, what: 'the killed worker’s jobs to finish elsewhere' },
    );
    const ids = jobs.map((j) => j.id);
    const { rows } = await fleet.db.query<{ job_id: string; runs: number }>(
      `SELECT job_id, count(*)::int AS runs FROM ledger WHERE job_id = ANY($1::uuid[]) GROUP BY job_id`,
      [ids],
    );
    expect(rows).toHaveLength(40); // none lost
    const rerun = rows.filter((r) => r.runs > 1);
    expect(rerun.length).toBeGreaterThan(0); // the ones in flight at the kill ran again…
    expect(rerun.length).toBeLessThanOrEqual(10); // …and only those (concurrency 5 + prefetch 5)
    const again = await Promise.all(rerun.map((r) => fleet.client.get(r.job_id)));
    for (const j of again) {
      expect(j!.attempts).toBe(2);
      expect(j!.errors[0]?.code).toBe('LEASE_EXPIRED');
    }
  }, 180_000);
});
