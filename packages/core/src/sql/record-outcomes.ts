/**
 * Writes many attempt outcomes in one statement. Every row is a compare-and-set on the lease token:
 * a worker that lost its lease (the rescuer gave the job to someone else) changes nothing.
 * A failure of a job whose cancellation was requested ends as CANCELLED rather than retrying.
 * `release` hands a job back without counting the attempt (shutdown).
 *
 * The status test is written `(… = 'RUNNING') IS TRUE` so that it cannot be an index condition: as a
 * plain equality the planner, whose statistics usually date from a moment with few running jobs,
 * read every RUNNING row through jobs_status_idx and hash-joined them with the batch. Running jobs
 * include every prefetched one, so that scan grew with the fleet (2,000+ rows for 4 workers: 3 ms per
 * outcome statement, PostgreSQL CPU per job 3× graphile-worker's). Now each row is found by its id.
 *
 * Results, errors and logs are read as json and cast, as in enqueue-jobs.ts (RECORD): json_to_recordset
 * fills jsonb columns slowly.
 *
 * With `exceptions`, it returns the outcomes that did not land as sent (see EXCEPTIONS), for the events.
 */
export const recordOutcomesSql = (s: string, exceptions = true) => `
WITH u AS (
  SELECT x.id, x.token, x.status, x.result::jsonb AS result, x.error::jsonb AS error, x.run_at, x.logs::jsonb AS logs, x.release
  FROM json_to_recordset($1::json) AS x(id uuid, token uuid, status text, result json, error json,
                                        run_at timestamptz, logs json, release boolean)
)${exceptions ? ', written AS (' : ''}
UPDATE ${s}.jobs j
SET status = CASE WHEN j.cancel_requested AND u.status IN ('FAILED','QUEUED') THEN 'CANCELLED' ELSE u.status END,
    result = CASE WHEN u.status = 'COMPLETED' THEN u.result ELSE j.result END,
    error = COALESCE(u.error, j.error),
    errors = CASE WHEN u.error IS NULL THEN j.errors ELSE COALESCE(j.errors, '[]'::jsonb) || jsonb_build_array(u.error) END,
    run_at = COALESCE(u.run_at, j.run_at),
    attempts = CASE WHEN u.release THEN j.attempts - 1 ELSE j.attempts END,
    progress = CASE WHEN u.status = 'COMPLETED' THEN 100 ELSE j.progress END,
    logs = CASE WHEN u.logs IS NULL THEN j.logs ELSE COALESCE(j.logs, '[]'::jsonb) || u.logs END,
    finished_at = CASE WHEN u.status IN ('COMPLETED','DEAD','CANCELLED') OR (j.cancel_requested AND u.status IN ('FAILED','QUEUED'))
                       THEN now() END,
    worker_id = CASE WHEN u.release THEN NULL ELSE j.worker_id END,
    lease_token = NULL, lease_expires_at = NULL, updated_at = now()
FROM u
WHERE j.id = u.id AND j.lease_token = u.token AND (j.status = 'RUNNING') IS TRUE
${exceptions ? EXCEPTIONS : ''}`;

/**
 * What the writer cannot know by itself: the outcomes that did not land as sent. A row whose lease was
 * lost comes back with a null status (nothing was written), a cancelled one with CANCELLED. Every
 * other outcome was written as sent, so a batch usually returns no row at all: its events are made
 * from what the worker already holds instead of parsing a returned row per job.
 */
const EXCEPTIONS = `RETURNING j.id, j.status
)
SELECT u.id::text AS id, w.status FROM u LEFT JOIN written w ON w.id = u.id
WHERE w.status IS DISTINCT FROM u.status`;
