import { uuidv7Floor } from '../ids.ts';

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

/** Statuses become SQL literals below, so they are checked here too, not only by the caller. */
const STATUS_LITERAL = /^[A-Z]{4,10}$/;

/** How far the clock of a process that made job ids may be from the database's (see listJobsSql). */
export const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;

/**
 * Newest first; ids are UUIDv7, so id order is creation order and the cursor is the last id seen.
 *
 * Each status is its own branch with the status written as a literal (validated): a literal lets the
 * planner use the partial (status, id DESC) index and stop after `limit` rows, where `status = ANY($1)`
 * walked the whole table whenever few jobs had the status asked for. Several statuses are merged from
 * their branches, each at most `limit` rows.
 */
export function listJobsSql(s: string, cols: string, p: ListParams): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (p.type) add('type = ?', p.type);
  if (p.queue) add('queue = ?', p.queue);
  if (p.ownerId) add('owner_id = ?', p.ownerId);
  if (p.batchId) add('batch_id = ?::uuid', p.batchId);
  if (p.scheduleId) add('schedule_id = ?::uuid', p.scheduleId);
  // created_at only grows, so after the last ANALYZE the planner guesses a handful of rows for any recent
  // bound and chose to read the whole table and sort (a listing with createdAfter took 230 ms at 100,000
  // jobs and the ten-minute load test collapsed). Ids are UUIDv7 from the enqueuing process's clock: an id
  // bound, loose by CLOCK_SKEW_MARGIN_MS, lets an index range stop the scan; created_at stays the exact test.
  if (p.createdAfter) {
    add('created_at >= ?', p.createdAfter.toISOString());
    add('id >= ?::uuid', uuidv7Floor(p.createdAfter.getTime() - CLOCK_SKEW_MARGIN_MS));
  }
  if (p.createdBefore) {
    add('created_at < ?', p.createdBefore.toISOString());
    add('id < ?::uuid', uuidv7Floor(p.createdBefore.getTime() + CLOCK_SKEW_MARGIN_MS));
  }
  if (p.cursor) add('id < ?::uuid', p.cursor);
  params.push(p.limit);
  const limit = `$${params.length}`;
  const select = (conds: string[]) =>
    `SELECT ${cols} FROM ${s}.jobs ${conds.length ? 'WHERE ' + conds.join(' AND ') : ''} ORDER BY id DESC LIMIT ${limit}`;

  const statuses = [...new Set(p.statuses ?? [])];
  for (const st of statuses) if (!STATUS_LITERAL.test(st)) throw new Error(`Not a job status: ${JSON.stringify(st)}`);
  if (statuses.length <= 1) {
    return { sql: select(statuses.length ? [`status = '${statuses[0]}'`, ...where] : where), params };
  }
  const branches = statuses.map((st) => `(${select([`status = '${st}'`, ...where])})`);
  return { sql: `SELECT * FROM (${branches.join(' UNION ALL ')}) listed ORDER BY id DESC LIMIT ${limit}`, params };
}
