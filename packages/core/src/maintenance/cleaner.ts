import type { Database } from '../db/database.ts';
import { cleanJobsSql } from '../sql/clean-jobs.ts';
import { pruneWorkersSql } from '../sql/job-types.ts';

export interface RetentionPolicy {
  /** How long COMPLETED and CANCELLED jobs are kept, in ms (default 7 days). */
  completedMs: number;
  /** How long DEAD jobs (dead letters) are kept, in ms (default 30 days). */
  deadMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { completedMs: 7 * 86_400_000, deadMs: 30 * 86_400_000 };

/** Deletes finished jobs past their retention in small batches so that the hot table stays small. */
export async function cleanFinishedJobs(db: Database, schema: string, policy: RetentionPolicy, batch = 5000): Promise<number> {
  let total = 0;
  for (const [statuses, ms] of [
    [['COMPLETED', 'CANCELLED'], policy.completedMs],
    [['DEAD'], policy.deadMs],
  ] as const) {
    for (;;) {
      const r = await db.query(cleanJobsSql(schema), [statuses, ms, batch]);
      total += r.rowCount;
      if (r.rowCount < batch) break;
    }
  }
  // Workers silent for a day are gone for good.
  await db.query(pruneWorkersSql(schema), [86_400_000]);
  return total;
}
