-- Broker dispatch (issue 8): a transactional outbox filled by triggers on the jobs table.
-- Every path that makes a job ready (enqueue, retry, hand-back, rescue, replay, a new run time) goes
-- through these triggers, so no code path can forget to tell the broker. The triggers are created
-- disabled: with the default postgres dispatch they cost nothing; enabling broker dispatch turns them on
-- (see dispatch/outbox.ts) and backfills the jobs that were already waiting.
CREATE TABLE {{schema}}.dispatch_outbox (
  id bigserial PRIMARY KEY,
  job_id uuid NOT NULL,
  queue text NOT NULL,
  priority integer NOT NULL,
  -- ready: the job may be claimed from available_at on; dead: the job reached DEAD (mirrored to the dead-letter exchange).
  kind text NOT NULL CHECK (kind IN ('ready','dead')),
  available_at timestamptz NOT NULL
);
CREATE INDEX dispatch_outbox_due_idx ON {{schema}}.dispatch_outbox (available_at, id);

-- Inserts are handled per statement through a transition table, so a bulk enqueue of 5,000 jobs runs one INSERT … SELECT.
CREATE FUNCTION {{schema}}.jobs_outbox_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {{schema}}.dispatch_outbox (job_id, queue, priority, kind, available_at)
  SELECT n.id, n.queue, n.priority, 'ready', n.run_at FROM inserted_jobs n
  WHERE n.status IN ('QUEUED','SCHEDULED','FAILED');
  RETURN NULL;
END
$$;

CREATE FUNCTION {{schema}}.jobs_outbox_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {{schema}}.dispatch_outbox (job_id, queue, priority, kind, available_at)
  VALUES (NEW.id, NEW.queue, NEW.priority, CASE WHEN NEW.status = 'DEAD' THEN 'dead' ELSE 'ready' END,
          CASE WHEN NEW.status = 'DEAD' THEN now() ELSE NEW.run_at END);
  RETURN NULL;
END
$$;

CREATE TRIGGER jobs_outbox_insert AFTER INSERT ON {{schema}}.jobs
  REFERENCING NEW TABLE AS inserted_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.jobs_outbox_on_insert();

-- Row-level with a WHEN clause: claims, heartbeats and completions never call the function. A job that
-- becomes claimable from another state, or whose run time moves, gets a message; SCHEDULED → QUEUED at the
-- same run time (the promoter) does not, since the first message already waits for that time.
CREATE TRIGGER jobs_outbox_update AFTER UPDATE OF status, run_at ON {{schema}}.jobs
  FOR EACH ROW
  WHEN ((NEW.status IN ('QUEUED','SCHEDULED','FAILED')
         AND (OLD.status NOT IN ('QUEUED','SCHEDULED','FAILED') OR OLD.run_at IS DISTINCT FROM NEW.run_at))
        OR (NEW.status = 'DEAD' AND OLD.status <> 'DEAD'))
  EXECUTE FUNCTION {{schema}}.jobs_outbox_on_update();

ALTER TABLE {{schema}}.jobs DISABLE TRIGGER jobs_outbox_insert;
ALTER TABLE {{schema}}.jobs DISABLE TRIGGER jobs_outbox_update;
