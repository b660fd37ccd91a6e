/** Deletes up to $3 jobs finished in the given states longer ago than $2 ms, oldest first. */
export const cleanJobsSql = (s: string) => `
WITH doomed AS (
  SELECT id FROM ${s}.jobs
  WHERE status = ANY($1::text[]) AND finished_at < now() - $2 * interval '1 millisecond'
  ORDER BY finished_at
  LIMIT $3
  FOR UPDATE SKIP LOCKED
)
DELETE FROM ${s}.jobs j USING doomed WHERE j.id = doomed.id`;
