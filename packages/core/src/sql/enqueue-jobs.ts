/**
 * Inserts many jobs in one statement from a JSON array; duplicates of an idempotency key are skipped
 * (the caller then reads the existing rows). Ready jobs wake idle workers of their queue.
 */
export const enqueueJobsSql = (s: string) => `
WITH ins AS (
  INSERT INTO ${s}.jobs (id, type, queue, status, payload, priority, run_at, max_attempts, backoff, timeout_ms,
                         idempotency_key, owner_id, batch_id, schedule_id, metadata)
  SELECT x.id, x.type, x.queue,
         CASE WHEN x.run_at IS NOT NULL AND x.run_at > now() THEN 'SCHEDULED' ELSE 'QUEUED' END,
         x.payload, x.priority, COALESCE(x.run_at, now()), x.max_attempts, x.backoff, x.timeout_ms,
         x.idempotency_key, x.owner_id, x.batch_id, x.schedule_id, x.metadata
  FROM json_to_recordset($1::json) AS x(id uuid, type text, queue text, payload jsonb, priority int, run_at timestamptz,
       max_attempts int, backoff jsonb, timeout_ms int, idempotency_key text, owner_id text, batch_id uuid,
       schedule_id uuid, metadata jsonb)
  ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id, queue, status, run_at, created_at
)
SELECT id, status, run_at, created_at,
       (SELECT count(pg_notify($2, q)) FROM (SELECT DISTINCT queue AS q FROM ins WHERE status = 'QUEUED') d) AS woken
FROM ins`;

/** Reads the jobs that already hold the given (owner, idempotency key) pairs. */
export const findByIdempotencySql = (s: string, columns: string) => `
SELECT ${columns} FROM ${s}.jobs j
JOIN json_to_recordset($1::json) AS k(owner_id text, idempotency_key text)
  ON j.idempotency_key = k.idempotency_key AND j.owner_id IS NOT DISTINCT FROM k.owner_id`;
