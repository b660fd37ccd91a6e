/** Marks delayed jobs and pending retries that have come due as QUEUED, so that states read true. */
export const promoteJobsSql = (s: string) => `
WITH due AS (
  SELECT id FROM ${s}.jobs
  WHERE status IN ('SCHEDULED','FAILED') AND run_at <= now()
  ORDER BY run_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
)
UPDATE ${s}.jobs j SET status = 'QUEUED', updated_at = now()
FROM due WHERE j.id = due.id
RETURNING j.id, j.type, j.queue, j.status, j.owner_id, j.attempts`;
