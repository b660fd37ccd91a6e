import type { Database, Queryable } from '../db/database.ts';
import { assertSchemaName } from '../db/identifiers.ts';

const TRIGGERS = ['jobs_outbox_insert', 'jobs_outbox_update'] as const;

export interface OutboxStatus {
  /** The triggers write outbox rows (broker dispatch is on for this schema). */
  enabled: boolean;
  /** Rows waiting: due now, and later (delayed jobs, retries). */
  due: number;
  later: number;
}

async function triggersEnabled(q: Queryable, schema: string): Promise<boolean> {
  const { rows } = await q.query<{ enabled: boolean }>(
    `SELECT bool_and(tgenabled <> 'D') AS enabled FROM pg_trigger
     WHERE tgrelid = $1::regclass AND tgname = ANY($2::text[])`,
    [`${schema}.jobs`, TRIGGERS],
  );
  return rows[0]?.enabled ?? false;
}

/** Queues a message for every waiting job, or only for those that have none in the outbox. */
const backfillSql = (s: string, missingOnly: boolean): string => `
INSERT INTO ${s}.dispatch_outbox (job_id, queue, priority, kind, available_at)
SELECT j.id, j.queue, j.priority, 'ready', j.run_at FROM ${s}.jobs j
WHERE j.status IN ('QUEUED','SCHEDULED','FAILED')${
  missingOnly ? ` AND NOT EXISTS (SELECT 1 FROM ${s}.dispatch_outbox o WHERE o.job_id = j.id AND o.kind = 'ready')` : ''
}`;

/**
 * Turns the outbox on and queues a message for every job already waiting, atomically: ALTER TABLE takes
 * a lock that waits for in-flight writes to the jobs table and holds off new ones until commit, so each
 * ready job is either in the backfill or passes through the trigger afterwards, never neither.
 * Does nothing (and takes no lock) when the outbox is already on. Returns how many jobs were backfilled.
 */
export async function enableOutbox(db: Database, schema: string): Promise<number> {
  const s = assertSchemaName(schema);
  if (await triggersEnabled(db, s)) return 0;
  return db.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = '10s'`);
    for (const t of TRIGGERS) await tx.query(`ALTER TABLE ${s}.jobs ENABLE TRIGGER ${t}`);
    await tx.query(`DELETE FROM ${s}.dispatch_outbox WHERE kind = 'ready'`);
    const r = await tx.query(backfillSql(s, false));
    return r.rowCount;
  });
}

/**
 * Queues a message for every waiting job that has none in the outbox, with broker dispatch on. This is for
 * jobs whose messages the broker lost after confirming them (a queue deleted by hand, a classic queue on a
 * node whose disk was lost): nothing else would ever tell a worker of them. A job whose message survived
 * gets a second one, which the consumer drops (its claim by id finds the job taken). Delayed jobs and
 * retries whose message still waits in the outbox are left alone. Returns how many messages were queued.
 */
export async function republishWaitingJobs(db: Database, schema: string): Promise<number> {
  const s = assertSchemaName(schema);
  return db.transaction(async (tx) => {
    if (!(await triggersEnabled(tx, s))) {
      throw new Error(
        'RabbitMQ dispatch is off for this database: there is nothing to republish (workers claim from PostgreSQL).',
      );
    }
    const r = await tx.query(backfillSql(s, true));
    return r.rowCount;
  });
}

/** Turns the outbox off (back to postgres dispatch) and drops the messages not yet published. */
export async function disableOutbox(db: Database, schema: string): Promise<void> {
  const s = assertSchemaName(schema);
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = '10s'`);
    for (const t of TRIGGERS) await tx.query(`ALTER TABLE ${s}.jobs DISABLE TRIGGER ${t}`);
    await tx.query(`DELETE FROM ${s}.dispatch_outbox`);
  });
}

export async function outboxStatus(q: Queryable, schema: string): Promise<OutboxStatus> {
  const s = assertSchemaName(schema);
  const enabled = await triggersEnabled(q, s);
  const { rows } = await q.query<{ due: number; later: number }>(
    `SELECT count(*) FILTER (WHERE available_at <= now())::int AS due, count(*) FILTER (WHERE available_at > now())::int AS later
     FROM ${s}.dispatch_outbox`,
  );
  return { enabled, due: rows[0]?.due ?? 0, later: rows[0]?.later ?? 0 };
}
