import type { Database } from '../db/database.ts';
import { stateEvents, type JobEventBus, type OutcomeRow } from '../events.ts';
import { rescueJobsSql } from '../sql/rescue-jobs.ts';

/** Returns jobs whose worker stopped renewing the lease; repeats until none are left. Returns how many. */
export async function rescueExpiredJobs(db: Database, schema: string, events?: JobEventBus, batch = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await db.query<OutcomeRow>(rescueJobsSql(schema), [batch]);
    total += rows.length;
    if (rows.length) {
      events?.publish(stateEvents(rows));
      if (rows.some((r) => r.status === 'QUEUED')) events?.requestWake();
    }
    if (rows.length < batch) return total;
  }
}
