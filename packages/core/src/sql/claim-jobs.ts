/**
 * Claims up to $3 ready jobs across the given queues in one round trip. Each queue is read through
 * its own ordered index scan (LATERAL), so several queues never force a sort of the whole backlog.
 * Paused queues are skipped. Claiming counts the attempt and starts a lease. The update finds the
 * claimed rows by `id = ANY(array)` so that even a generic plan (the statement is prepared) reads them
 * through the primary key instead of joining against the whole table.
 *
 * The claim commits without waiting for its WAL flush (synchronous_commit off for this transaction
 * only, set inside the statement: the setting is read at commit). A database crash may then forget
 * the claims of its last moments: those jobs are QUEUED again and run again, as after any crash
 * (at-least-once); the workers' outcome writes for them are refused by the lease check. Outcomes and
 * enqueues keep waiting for the flush: what a client was told is never forgotten.
 *
 * $1 queues text[], $2 job types text[], $3 limit, $4 lease token, $5 lease ms, $6 worker id
 */
export const claimJobsSql = (s: string, columns: string) => `
WITH next AS (
  SELECT c.id
  FROM unnest($1::text[]) AS q(name)
  CROSS JOIN LATERAL (
    SELECT j.id, j.priority, j.run_at FROM ${s}.jobs j
    WHERE j.queue = q.name AND j.status IN ('QUEUED','SCHEDULED','FAILED') AND j.run_at <= now()
      AND j.type = ANY($2::text[])
    ORDER BY j.priority DESC, j.run_at, j.id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
  ) c
  WHERE NOT (q.name = ANY (ARRAY(SELECT name FROM ${s}.queues WHERE paused)))
  ORDER BY c.priority DESC, c.run_at, c.id
  LIMIT $3
)
UPDATE ${s}.jobs j
SET status = 'RUNNING', attempts = j.attempts + 1, lease_token = $4,
    lease_expires_at = now() + $5 * interval '1 millisecond', worker_id = $6,
    started_at = now(), updated_at = now(), progress = NULL, progress_message = NULL
WHERE j.id = ANY (ARRAY(SELECT id FROM next))
  AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
RETURNING ${returning(columns)}`;

/** A timestamp as epoch milliseconds (float8): pg turns a number into a Date far faster than it parses timestamp text. */
export const epochMs = (expr: string): string => `(extract(epoch FROM ${expr}) * 1000)::float8`;

const TIMESTAMPS = new Set(['run_at', 'created_at', 'updated_at', 'started_at', 'finished_at']);

/**
 * Qualifies the columns and returns timestamps as epoch milliseconds: a claim returns hundreds of rows,
 * and making a Date from a number costs far less than parsing PostgreSQL's timestamp text.
 */
export function returning(columns: string): string {
  return columns
    .split(',')
    .map((c) => c.trim())
    .map((c) => (TIMESTAMPS.has(c) ? `${epochMs(`j.${c}`)} AS ${c}` : `j.${c}`))
    .join(', ');
}
