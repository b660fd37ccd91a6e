/**
 * Extends the leases a worker still holds; answers, for every job asked about, whether this worker still
 * holds it and whether it was asked to cancel.
 *
 * It never waits for a row lock: a row locked by another statement (in practice this worker's own outcome
 * write finishing the job) is skipped rather than waited for. Waiting let the heartbeat and a batch outcome
 * write lock the same rows in different orders and deadlock under load. A skipped job the snapshot shows
 * as still held counts as held: its lease has two more renewals to go before it could expire.
 *
 * The status test is wrapped in `IS TRUE` so that it cannot steer the planner to a partial status index
 * (see record-outcomes.ts): the rows are found by id.
 *
 * $1 ids uuid[], $2 lease tokens uuid[], $3 lease ms
 */
export const heartbeatSql = (s: string) => `
WITH asked AS (
  SELECT id, (lease_token = ANY($2::uuid[]) AND status = 'RUNNING') AS held, cancel_requested
  FROM ${s}.jobs WHERE id = ANY($1::uuid[])
), free AS (
  SELECT id FROM ${s}.jobs
  WHERE id = ANY($1::uuid[]) AND lease_token = ANY($2::uuid[]) AND (status = 'RUNNING') IS TRUE
  FOR UPDATE SKIP LOCKED
), renewed AS (
  UPDATE ${s}.jobs j SET lease_expires_at = now() + $3 * interval '1 millisecond'
  FROM free WHERE j.id = free.id
  RETURNING j.id, j.cancel_requested
)
SELECT a.id, COALESCE(r.cancel_requested, a.cancel_requested) AS cancel_requested
FROM asked a LEFT JOIN renewed r USING (id)
WHERE r.id IS NOT NULL OR a.held`;
