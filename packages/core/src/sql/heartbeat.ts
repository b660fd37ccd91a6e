/** Extends the leases a worker still holds; answers which it holds and which were asked to cancel. */
export const heartbeatSql = (s: string) => `
UPDATE ${s}.jobs SET lease_expires_at = now() + $3 * interval '1 millisecond'
WHERE id = ANY($1::uuid[]) AND lease_token = ANY($2::uuid[]) AND status = 'RUNNING'
RETURNING id, cancel_requested`;
