-- The jobs table is the hot table: partial indexes keep finished rows out of every claim.
CREATE TABLE {{schema}}.jobs (
  id uuid PRIMARY KEY,
  type text NOT NULL,
  queue text NOT NULL DEFAULT 'default',
  status text NOT NULL CHECK (status IN ('SCHEDULED','QUEUED','RUNNING','COMPLETED','FAILED','DEAD','CANCELLED')),
  payload jsonb,
  priority integer NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  backoff jsonb,
  timeout_ms integer,
  idempotency_key text,
  owner_id text,
  batch_id uuid,
  schedule_id uuid,
  metadata jsonb,
  result jsonb,
  error jsonb,
  errors jsonb,
  progress real,
  progress_message text,
  logs jsonb,
  lease_token uuid,
  lease_expires_at timestamptz,
  worker_id text,
  cancel_requested boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);

-- Claiming: per queue, most urgent first, oldest first.
CREATE INDEX jobs_claim_idx ON {{schema}}.jobs (queue, priority DESC, run_at, id)
  WHERE status IN ('QUEUED','SCHEDULED','FAILED');
-- The rescuer looks for expired leases among running jobs only.
CREATE INDEX jobs_lease_idx ON {{schema}}.jobs (lease_expires_at) WHERE status = 'RUNNING';
-- The cleaner deletes finished jobs oldest first.
CREATE INDEX jobs_finished_idx ON {{schema}}.jobs (finished_at) WHERE status IN ('COMPLETED','CANCELLED','DEAD');
-- Idempotency keys are unique per owner (jobs without an owner share one namespace).
CREATE UNIQUE INDEX jobs_idempotency_idx ON {{schema}}.jobs (owner_id, idempotency_key) NULLS NOT DISTINCT
  WHERE idempotency_key IS NOT NULL;
-- A member lists its own jobs newest first; ids are UUIDv7 so id order is creation order.
CREATE INDEX jobs_owner_idx ON {{schema}}.jobs (owner_id, id DESC) WHERE owner_id IS NOT NULL;
CREATE INDEX jobs_batch_idx ON {{schema}}.jobs (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX jobs_dead_idx ON {{schema}}.jobs (id) WHERE status = 'DEAD';
-- The promoter finds delayed jobs and retries that have come due.
CREATE INDEX jobs_due_idx ON {{schema}}.jobs (run_at) WHERE status IN ('SCHEDULED','FAILED');

CREATE TABLE {{schema}}.queues (
  name text PRIMARY KEY,
  paused boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- What workers serve, published by the workers themselves so that an API without the code can list and validate.
CREATE TABLE {{schema}}.job_types (
  name text PRIMARY KEY,
  description text,
  queue text NOT NULL,
  payload_schema jsonb,
  priority integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 3,
  backoff jsonb,
  timeout_ms integer,
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {{schema}}.workers (
  id text PRIMARY KEY,
  hostname text NOT NULL,
  pid integer NOT NULL,
  queues text[] NOT NULL,
  job_types text[] NOT NULL,
  concurrency integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
