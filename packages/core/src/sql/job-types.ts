/** Upserts the job types a worker serves; $1 is a JSON array of their descriptions. */
export const publishJobTypesSql = (s: string) => `
INSERT INTO ${s}.job_types (name, description, queue, payload_schema, priority, max_attempts, backoff, timeout_ms, last_seen_at)
SELECT x.name, x.description, x.queue, x.payload_schema, x.priority, x.max_attempts, x.backoff, x.timeout_ms, now()
FROM json_to_recordset($1::json) AS x(name text, description text, queue text, payload_schema jsonb, priority int,
                                      max_attempts int, backoff jsonb, timeout_ms int)
ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, queue = EXCLUDED.queue,
  payload_schema = EXCLUDED.payload_schema, priority = EXCLUDED.priority, max_attempts = EXCLUDED.max_attempts,
  backoff = EXCLUDED.backoff, timeout_ms = EXCLUDED.timeout_ms, last_seen_at = now()`;

/** Every published job type with the number of live workers serving it ($1: liveness window in ms). */
export const listJobTypesSql = (s: string) => `
SELECT t.name, t.description, t.queue, t.payload_schema, t.priority, t.max_attempts, t.backoff, t.timeout_ms, t.last_seen_at,
       (SELECT count(*)::int FROM ${s}.workers w
         WHERE t.name = ANY (w.job_types) AND w.last_seen_at > now() - $1 * interval '1 millisecond') AS workers
FROM ${s}.job_types t ORDER BY t.name`;

export const upsertWorkerSql = (s: string) => `
INSERT INTO ${s}.workers (id, hostname, pid, queues, job_types, concurrency, started_at, last_seen_at)
VALUES ($1, $2, $3, $4::text[], $5::text[], $6, now(), now())
ON CONFLICT (id) DO UPDATE SET last_seen_at = now(), queues = EXCLUDED.queues, job_types = EXCLUDED.job_types`;

export const deleteWorkerSql = (s: string) => `DELETE FROM ${s}.workers WHERE id = $1`;

/** Forgets workers silent for longer than $1 ms. */
export const pruneWorkersSql = (s: string) =>
  `DELETE FROM ${s}.workers WHERE last_seen_at < now() - $1 * interval '1 millisecond'`;
