/**
 * Gives back jobs whose lease expired (their worker died or lost the database): to the queue when
 * attempts remain, DEAD when not, CANCELLED when cancellation had been requested.
 */
export const rescueJobsSql = (s: string) => `
WITH expired AS (
  SELECT id FROM ${s}.jobs
  WHERE status = 'RUNNING' AND lease_expires_at < now()
  ORDER BY lease_expires_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
)
UPDATE ${s}.jobs j
SET status = CASE WHEN j.cancel_requested THEN 'CANCELLED' WHEN j.attempts >= j.max_attempts THEN 'DEAD' ELSE 'QUEUED' END,
    error = jsonb_build_object('message', 'The worker running this attempt stopped renewing its lease (it crashed or lost the database).',
                               'code', 'LEASE_EXPIRED', 'attempt', j.attempts, 'at', now(), 'workerId', j.worker_id),
    errors = COALESCE(j.errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
               'message', 'The worker running this attempt stopped renewing its lease (it crashed or lost the database).',
               'code', 'LEASE_EXPIRED', 'attempt', j.attempts, 'at', now(), 'workerId', j.worker_id)),
    run_at = now(), lease_token = NULL, lease_expires_at = NULL, worker_id = NULL,
    finished_at = CASE WHEN j.cancel_requested OR j.attempts >= j.max_attempts THEN now() END,
    updated_at = now()
FROM expired
WHERE j.id = expired.id
RETURNING j.id, j.type, j.queue, j.status, j.owner_id, j.attempts`;
