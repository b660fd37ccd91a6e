import type { Database } from '../db/database.ts';

/**
 * Keeps the planner's statistics of the jobs table in step with a table that grows fast.
 *
 * Autovacuum analyzes a table after 10% of it changed, but visits each database only once a minute
 * (autovacuum_naptime), and PGlite has no autovacuum at all. A new fleet taking hundreds of jobs a second
 * outgrows its statistics many times over in that minute: the load test saw the planner think a user
 * owned 30 jobs when they owned 21,000, pick a bitmap scan and sort of all of them for a 20-row listing,
 * and p99 triple in 30 s. Analyzing whenever the table has grown by half keeps estimates within 1.5×
 * while it is young; for a large table the threshold is far above autovacuum's, so this then stays idle.
 */
export const ANALYZE_MIN_CHANGES = 1000;
export const ANALYZE_GROWTH = 0.5;

const statsSql = `
SELECT n_mod_since_analyze::float8 AS changed, greatest(n_live_tup, 0)::float8 AS live
FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'`;

/** True when the changes since the last ANALYZE call for a fresh one. */
export const analyzeDue = (changed: number, live: number): boolean => changed > ANALYZE_MIN_CHANGES + ANALYZE_GROWTH * live;

/** ANALYZEs the jobs table when due; returns whether it did. Never waits on a lock another ANALYZE or VACUUM holds. */
export async function analyzeJobsIfDue(db: Database, schema: string): Promise<boolean> {
  const { rows } = await db.query<{ changed: number; live: number }>(statsSql, [schema]);
  const s = rows[0];
  if (!s || !analyzeDue(s.changed, s.live)) return false;
  return db.transaction(async (tx) => {
    // Another process (or autovacuum) analyzing right now is as good: give up at once instead of queueing.
    await tx.query(`SET LOCAL lock_timeout = '50ms'`);
    try {
      await tx.query(`ANALYZE ${schema}.jobs`);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === '55P03') return false; // lock_not_available
      throw err;
    }
  });
}
