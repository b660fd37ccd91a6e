-- Listings filtered by status (the dashboard's "running", "queued", "dead" tabs; GET /api/v1/jobs?status=…)
-- read newest first. Without this index a status that few jobs have was found by walking the primary key
-- backwards through every finished job: a full scan per request that grew with the table (found by the load
-- test: p99 tripled in 30 s as COMPLETED rows piled up). COMPLETED is left out: it is the bulk of the table,
-- the primary key finds its newest rows at once, and leaving it out keeps the index small and the
-- completion write cheaper. The dead-job index is subsumed (its lookups are status = 'DEAD').
CREATE INDEX jobs_status_idx ON {{schema}}.jobs (status, id DESC) WHERE status <> 'COMPLETED';
DROP INDEX {{schema}}.jobs_dead_idx;
