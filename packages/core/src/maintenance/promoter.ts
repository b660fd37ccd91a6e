import type { Database } from '../db/database.ts';
import { channels } from '../db/identifiers.ts';
import { stateEvents, type JobEventBus, type OutcomeRow } from '../events.ts';
import { promoteJobsSql } from '../sql/promote-jobs.ts';

/** Moves delayed jobs and retries that came due to QUEUED and wakes their queues' workers. */
export async function promoteDueJobs(db: Database, schema: string, events?: JobEventBus, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await db.query<OutcomeRow>(promoteJobsSql(schema), [batch]);
    total += rows.length;
    if (rows.length) {
      events?.publish(stateEvents(rows));
      events?.requestWake();
      const queues = [...new Set(rows.map((r) => r.queue))];
      await db.query(`SELECT pg_notify($1, q) FROM unnest($2::text[]) AS q`, [channels(schema).wake, queues]);
    }
    if (rows.length < batch) return total;
  }
}
