-- Cron schedules: each row enqueues a job type on a timetable (issue 4).
-- The firing loop claims due rows with FOR UPDATE SKIP LOCKED and advances next_run in the same transaction.
CREATE TABLE {{schema}}.schedules (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text,
  cron text NOT NULL,
  timezone text NOT NULL DEFAULT 'UTC',
  job_type text NOT NULL,
  payload jsonb,
  -- Enqueue options given to every job (queue, priority, maxAttempts, backoff, timeout, metadata).
  options jsonb NOT NULL DEFAULT '{}'::jsonb,
  is_active boolean NOT NULL DEFAULT true,
  -- allow: fire regardless; skip: do not fire while a previous job of the schedule is unfinished.
  overlap text NOT NULL DEFAULT 'allow' CHECK (overlap IN ('allow','skip')),
  -- After downtime: skip the missed fire times, fire once for all of them, or fire each (at most max_catch_up).
  missed_runs text NOT NULL DEFAULT 'once' CHECK (missed_runs IN ('skip','once','all')),
  max_catch_up integer NOT NULL DEFAULT 100 CHECK (max_catch_up BETWEEN 1 AND 10000),
  last_run timestamptz,
  next_run timestamptz,
  -- Why the last attempt to fire failed (unknown job type, bad payload …); cleared on the next success.
  last_error text,
  last_error_at timestamptz,
  owner_id text,
  source text NOT NULL DEFAULT 'api' CHECK (source IN ('api','code')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Names are unique per owner; schedules without an owner (admins, code) share one namespace.
CREATE UNIQUE INDEX schedules_owner_name_idx ON {{schema}}.schedules (owner_id, name) NULLS NOT DISTINCT;
-- The firing loop reads due active schedules, earliest first.
CREATE INDEX schedules_due_idx ON {{schema}}.schedules (next_run) WHERE is_active;

-- Exactly one job per (schedule, fire time), enforced by the primary key below.
-- Why a table of its own rather than an idempotency key on the job:
--   * jobs are deleted by retention and job idempotency keys live in the owner's namespace, where a user
--     could take a key first, while this key belongs to the scheduler alone and outlives the job;
--   * the row is written in the same transaction as the enqueue (INSERT … ON CONFLICT DO NOTHING first,
--     enqueue only when the row was inserted), so a fire time either has its job or nothing at all;
--   * it keeps a short history, including fire times skipped by the overlap policy.
-- Manual triggers ("run now") are not fire times of the timetable and are not recorded here.
-- Rows older than the scheduler's fire retention (default one day) are pruned: next_run only moves
-- forward past them, so they can no longer collide.
CREATE TABLE {{schema}}.schedule_fires (
  schedule_id uuid NOT NULL REFERENCES {{schema}}.schedules (id) ON DELETE CASCADE,
  fire_at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('enqueued','skipped_overlap')),
  job_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schedule_id, fire_at)
);
CREATE INDEX schedule_fires_created_idx ON {{schema}}.schedule_fires (created_at);

-- A schedule's runs, newest first (ScheduleService.runs), and the overlap check (unfinished jobs of a schedule).
CREATE INDEX jobs_schedule_idx ON {{schema}}.jobs (schedule_id, id DESC) WHERE schedule_id IS NOT NULL;
CREATE INDEX jobs_schedule_open_idx ON {{schema}}.jobs (schedule_id)
  WHERE schedule_id IS NOT NULL AND status IN ('SCHEDULED','QUEUED','RUNNING','FAILED');
