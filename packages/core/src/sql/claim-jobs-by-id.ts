import { returning } from './claim-jobs.ts';

/**
 * Claims the given jobs (delivered by a broker) by compare-and-set: only those still claimable, due,
 * of a type this worker runs, and not in a paused queue. A duplicate or late message finds the job
 * RUNNING or finished and claims nothing, so no job runs twice at once.
 *
 * The status test is wrapped in `IS TRUE` so that it cannot steer the planner to a partial status index
 * (see record-outcomes.ts): the rows are found by id.
 *
 * $1 ids uuid[], $2 job types text[], $3 lease token, $4 lease ms, $5 worker id
 */
export const claimJobsByIdSql = (s: string, columns: string) => `
UPDATE ${s}.jobs j
SET status = 'RUNNING', attempts = j.attempts + 1, lease_token = $3,
    lease_expires_at = now() + $4 * interval '1 millisecond', worker_id = $5,
    started_at = now(), updated_at = now(), progress = NULL, progress_message = NULL
WHERE j.id = ANY ($1::uuid[]) AND (j.status IN ('QUEUED','SCHEDULED','FAILED')) IS TRUE AND j.run_at <= now()
  AND j.type = ANY ($2::text[])
  AND NOT (j.queue = ANY (ARRAY(SELECT name FROM ${s}.queues WHERE paused)))
RETURNING ${returning(columns)}`;

/**
 * Of the delivered jobs this worker did not claim, those still due and claimable (a paused queue, a type
 * this worker lacks) get a fresh outbox row a little later, so the broker's copy can be dropped without
 * losing the job. Jobs running, finished, cancelled or not yet due need nothing: a later state change
 * makes its own message.
 *
 * $1 ids uuid[], $2 delay ms
 */
export const redispatchSql = (s: string) => `
INSERT INTO ${s}.dispatch_outbox (job_id, queue, priority, kind, available_at)
SELECT j.id, j.queue, j.priority, 'ready', now() + $2 * interval '1 millisecond'
FROM ${s}.jobs j
WHERE j.id = ANY ($1::uuid[]) AND j.status IN ('QUEUED','SCHEDULED','FAILED') AND j.run_at <= now()`;
