import { epochMs } from './claim-jobs.ts';

/**
 * The JSON documents inside a row are read as json and cast to jsonb in the SELECT: json_to_recordset
 * fills a jsonb column far more slowly than it copies a json one, and the cast parses the same text.
 * A 5,000-row enqueue statement took 63 ms instead of 83 (the whole round trip), the same rows stored.
 */
const RECORD = `id uuid, type text, queue text, payload json, priority int, run_at timestamptz,
       max_attempts int, backoff json, timeout_ms int, idempotency_key text, owner_id text, batch_id uuid,
       schedule_id uuid, metadata json`;
const COLUMNS = `id, type, queue, status, payload, priority, run_at, max_attempts, backoff, timeout_ms,
                         idempotency_key, owner_id, batch_id, schedule_id, metadata`;
/**
 * Timestamps come back as epoch milliseconds: a bulk enqueue returns thousands of rows, and pg parses
 * timestamp text with a regular expression per value (4% of a bulk enqueue's client CPU).
 */
const asEpochMs = (c: string) => `${epochMs(c)} AS ${c}`;
const WAKE = `(SELECT count(pg_notify($2, q)) FROM (SELECT DISTINCT queue AS q FROM ins WHERE status = 'QUEUED') d) AS woken`;

/**
 * Inserts many jobs in one statement from a JSON array; duplicates of an idempotency key are skipped
 * (the caller then reads the existing rows). Ready jobs wake idle workers of their queue.
 */
export const enqueueJobsSql = (s: string) => `
WITH ins AS (
  INSERT INTO ${s}.jobs (${COLUMNS})
  SELECT x.id, x.type, x.queue,
         CASE WHEN x.run_at IS NOT NULL AND x.run_at > now() THEN 'SCHEDULED' ELSE 'QUEUED' END,
         x.payload::jsonb, x.priority, COALESCE(x.run_at, now()), x.max_attempts, x.backoff::jsonb, x.timeout_ms,
         x.idempotency_key, x.owner_id, x.batch_id, x.schedule_id, x.metadata::jsonb
  FROM json_to_recordset($1::json) AS x(${RECORD})
  ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id, queue, status, run_at, created_at
)
SELECT id, status, ${asEpochMs('run_at')}, ${asEpochMs('created_at')}, ${WAKE}
FROM ins`;

/**
 * The same insert for a batch in which some rows carry a lease (lease_token, worker_id, lease_ms: a
 * free slot of a worker in the enqueuing process, see worker/handoff.ts). Such a row is inserted RUNNING
 * under it, as a claim would leave it, unless its queue is paused or a job of its queue that is as urgent
 * or more already waits: then it is QUEUED like any other, and order is kept. A started row returns its
 * stored payload, which the worker runs exactly as a claim would have returned it. OFFSET 0 keeps the
 * planner from copying the status expression, and its subqueries, into each column that reads it. Only
 * single enqueues use it: bulk enqueues keep the plain statement (this one costs them 15–20% per row).
 *
 * It commits without waiting for its WAL flush, so that the worker can start what it returned at once;
 * the caller then waits for the flush (confirmFlushSql) before it tells anyone the jobs were enqueued. The
 * wait for the flush after an idle moment is most of a job's start latency (0.6–0.8 ms of 1.3 here).
 */
export const enqueueAndStartJobsSql = (s: string) => `
WITH ins AS (
  INSERT INTO ${s}.jobs (${COLUMNS},
                         attempts, lease_token, lease_expires_at, worker_id, started_at)
  SELECT x.id, x.type, x.queue, x.status, x.payload::jsonb, x.priority, COALESCE(x.run_at, now()), x.max_attempts,
         x.backoff::jsonb, x.timeout_ms, x.idempotency_key, x.owner_id, x.batch_id, x.schedule_id, x.metadata::jsonb,
         CASE WHEN x.status = 'RUNNING' THEN 1 ELSE 0 END,
         CASE WHEN x.status = 'RUNNING' THEN x.lease_token END,
         CASE WHEN x.status = 'RUNNING' THEN now() + x.lease_ms * interval '1 millisecond' END,
         CASE WHEN x.status = 'RUNNING' THEN x.worker_id END,
         CASE WHEN x.status = 'RUNNING' THEN now() END
  FROM (
    SELECT r.*,
      CASE
        WHEN r.run_at IS NOT NULL AND r.run_at > now() THEN 'SCHEDULED'
        WHEN r.lease_token IS NULL THEN 'QUEUED'
        WHEN EXISTS (SELECT 1 FROM ${s}.queues p WHERE p.name = r.queue AND p.paused) THEN 'QUEUED'
        WHEN EXISTS (
          SELECT 1 FROM ${s}.jobs b
          WHERE b.queue = r.queue AND b.status IN ('QUEUED','SCHEDULED','FAILED') AND b.run_at <= now()
            AND b.priority >= r.priority
        ) THEN 'QUEUED'
        ELSE 'RUNNING'
      END AS status
    FROM json_to_recordset($1::json) AS r(${RECORD}, lease_token uuid, worker_id text, lease_ms int)
    OFFSET 0
  ) x
  WHERE (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
  ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id, queue, status, run_at, created_at, started_at, CASE WHEN status = 'RUNNING' THEN payload END AS stored_payload
)
SELECT id, status, ${asEpochMs('run_at')}, ${asEpochMs('created_at')}, ${asEpochMs('started_at')}, stored_payload, ${WAKE}
FROM ins`;

/**
 * Waits until every commit made before it is on disk. A synchronous commit flushes the WAL up to its own
 * commit record, so all earlier records too, whichever connection wrote them; but PostgreSQL flushes only
 * for a transaction that wrote WAL (a bare txid_current() commits without waiting). A transactional
 * logical message is the smallest such write: no table, any role may emit it, and it changes no data. Logical
 * decoding consumers that ask for messages see it under the prefix 'jobfleet.flush'.
 */
const FLUSH_MESSAGE = "pg_logical_emit_message(true, 'jobfleet.flush', '')";
export const flushWalSql = `SELECT ${FLUSH_MESSAGE}`;

/**
 * The flush a direct start waits for: it also counts which of the batch's jobs ($1 uuid[]) exist, so that a
 * flush on another server (a failover between the insert and it) cannot pass for theirs.
 */
export const confirmFlushSql = (s: string) => `
SELECT ${FLUSH_MESSAGE} AS lsn,
       (SELECT count(*)::int FROM ${s}.jobs WHERE id = ANY($1::uuid[])) AS found`;

/** Reads the jobs that already hold the given (owner, idempotency key) pairs. */
export const findByIdempotencySql = (s: string, columns: string) => `
SELECT ${columns} FROM ${s}.jobs j
JOIN json_to_recordset($1::json) AS k(owner_id text, idempotency_key text)
  ON j.idempotency_key = k.idempotency_key AND j.owner_id IS NOT DISTINCT FROM k.owner_id`;
