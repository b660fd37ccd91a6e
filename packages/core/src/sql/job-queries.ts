/** Reads and administrative changes of single jobs. $2 is always the owner scope (NULL: any owner). */

export const getJobSql = (s: string, cols: string) =>
  `SELECT ${cols} FROM ${s}.jobs WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2)`;

export const cancelJobSql = (s: string, cols: string) => `
UPDATE ${s}.jobs SET
  status = CASE WHEN status = 'RUNNING' THEN status ELSE 'CANCELLED' END,
  cancel_requested = (status = 'RUNNING'),
  finished_at = CASE WHEN status = 'RUNNING' THEN finished_at ELSE now() END,
  updated_at = now()
WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2) AND status IN ('QUEUED','SCHEDULED','FAILED','RUNNING')
  AND NOT cancel_requested
RETURNING ${cols}`;

export const retryJobSql = (s: string, cols: string) => `
UPDATE ${s}.jobs SET
  status = 'QUEUED', run_at = now(), finished_at = NULL, cancel_requested = false, updated_at = now(),
  attempts = CASE WHEN status = 'FAILED' THEN attempts ELSE 0 END
WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2) AND status IN ('FAILED','DEAD','CANCELLED')
RETURNING ${cols}`;

export const replayDeadSql = (s: string) => `
UPDATE ${s}.jobs SET status = 'QUEUED', run_at = now(), finished_at = NULL, attempts = 0, updated_at = now()
WHERE status = 'DEAD'
  AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
  AND ($2::text IS NULL OR type = $2)
  AND ($3::text IS NULL OR queue = $3)
  AND ($4::text IS NULL OR owner_id = $4)
RETURNING id, type, queue, status, owner_id, attempts`;

export const deleteJobSql = (s: string, cols: string) => `
DELETE FROM ${s}.jobs WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2) AND status <> 'RUNNING'
RETURNING ${cols}`;

export const queueCountsSql = (s: string) => `SELECT queue, status, count(*)::int AS n FROM ${s}.jobs GROUP BY queue, status`;

export interface ListParams {
  statuses: string[] | null;
  type: string | null;
  queue: string | null;
  ownerId: string | null;
  batchId: string | null;
  scheduleId: string | null;
  createdAfter: Date | null;
  createdBefore: Date | null;
  cursor: string | null;
  limit: number;
}

/** Newest first; ids are UUIDv7, so id order is creation order and the cursor is the last id seen. */
export function listJobsSql(s: string, cols: string, p: ListParams): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (p.statuses) add('status = ANY(?::text[])', p.statuses);
  if (p.type) add('type = ?', p.type);
  if (p.queue) add('queue = ?', p.queue);
  if (p.ownerId) add('owner_id = ?', p.ownerId);
  if (p.batchId) add('batch_id = ?::uuid', p.batchId);
  if (p.scheduleId) add('schedule_id = ?::uuid', p.scheduleId);
  if (p.createdAfter) add('created_at >= ?', p.createdAfter.toISOString());
  if (p.createdBefore) add('created_at < ?', p.createdBefore.toISOString());
  if (p.cursor) add('id < ?::uuid', p.cursor);
  params.push(p.limit);
  const sql = `SELECT ${cols} FROM ${s}.jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT $${params.length}`;
  return { sql, params };
}
