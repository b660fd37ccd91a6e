export const JOB_STATUSES = ['SCHEDULED', 'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'DEAD', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** States a worker may claim from (FAILED means: failed, retry pending at runAt). */
export const CLAIMABLE: readonly JobStatus[] = ['QUEUED', 'SCHEDULED', 'FAILED'];
export const FINISHED: readonly JobStatus[] = ['COMPLETED', 'DEAD', 'CANCELLED'];

export interface JobError {
  message: string;
  name?: string;
  code?: string;
  stack?: string;
  attempt: number;
  at: string;
  workerId?: string;
}

export interface JobLogLine {
  at: string;
  message: string;
}

export interface Job {
  id: string;
  type: string;
  queue: string;
  status: JobStatus;
  payload: unknown;
  priority: number;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
  backoff: unknown;
  timeoutMs: number | null;
  idempotencyKey: string | null;
  ownerId: string | null;
  batchId: string | null;
  scheduleId: string | null;
  metadata: Record<string, unknown> | null;
  result: unknown;
  /** The most recent attempt's error. */
  error: JobError | null;
  /** Every failed attempt's error, oldest first. */
  errors: JobError[];
  progress: number | null;
  progressMessage: string | null;
  logs: JobLogLine[];
  workerId: string | null;
  cancelRequested: boolean;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The columns selected wherever a whole job is read. */
export const JOB_COLUMNS = `id, type, queue, status, payload, priority, run_at, attempts, max_attempts, backoff, timeout_ms,
  idempotency_key, owner_id, batch_id, schedule_id, metadata, result, error, errors, progress, progress_message, logs,
  worker_id, cancel_requested, created_at, updated_at, started_at, finished_at`;

/**
 * The columns a claim returns: what a handler's job needs. The rest of a freshly claimed job is known
 * (RUNNING, no result, no progress, this worker, started now), and a claim returns hundreds of rows, so
 * every column left out saves a parsed string per job.
 */
export const CLAIM_COLUMNS = `id, type, queue, payload, priority, run_at, attempts, max_attempts, backoff, timeout_ms,
  idempotency_key, owner_id, batch_id, schedule_id, metadata, errors, logs, created_at`;

export type ClaimedRow = Pick<
  JobRow,
  | 'id'
  | 'type'
  | 'queue'
  | 'payload'
  | 'priority'
  | 'run_at'
  | 'attempts'
  | 'max_attempts'
  | 'backoff'
  | 'timeout_ms'
  | 'idempotency_key'
  | 'owner_id'
  | 'batch_id'
  | 'schedule_id'
  | 'metadata'
  | 'errors'
  | 'logs'
  | 'created_at'
>;

export interface JobRow {
  id: string;
  type: string;
  queue: string;
  status: JobStatus;
  payload: unknown;
  priority: number;
  run_at: Date | string | number;
  attempts: number;
  max_attempts: number;
  backoff: unknown;
  timeout_ms: number | null;
  idempotency_key: string | null;
  owner_id: string | null;
  batch_id: string | null;
  schedule_id: string | null;
  metadata: Record<string, unknown> | null;
  result: unknown;
  error: JobError | null;
  errors: JobError[] | null;
  progress: number | null;
  progress_message: string | null;
  logs: JobLogLine[] | null;
  worker_id: string | null;
  cancel_requested: boolean;
  created_at: Date | string | number;
  updated_at: Date | string | number;
  started_at: Date | string | number | null;
  finished_at: Date | string | number | null;
}

const toDate = (v: Date | string | number): Date => (v instanceof Date ? v : new Date(v));
const toDateOrNull = (v: Date | string | number | null): Date | null => (v == null ? null : toDate(v));

export function jobFromRow(r: JobRow): Job {
  return {
    id: r.id,
    type: r.type,
    queue: r.queue,
    status: r.status,
    payload: r.payload,
    priority: r.priority,
    runAt: toDate(r.run_at),
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    backoff: r.backoff,
    timeoutMs: r.timeout_ms,
    idempotencyKey: r.idempotency_key,
    ownerId: r.owner_id,
    batchId: r.batch_id,
    scheduleId: r.schedule_id,
    metadata: r.metadata,
    result: r.result,
    error: r.error,
    errors: r.errors ?? [],
    progress: r.progress,
    progressMessage: r.progress_message,
    logs: r.logs ?? [],
    workerId: r.worker_id,
    cancelRequested: r.cancel_requested,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    startedAt: toDateOrNull(r.started_at),
    finishedAt: toDateOrNull(r.finished_at),
  };
}

/**
 * A job as claimed by this worker just now, from the claim's narrow row: the rest of a fresh claim is
 * known (RUNNING, no result or progress, this worker, started now; its error is the last of its errors).
 */
export function claimedJobFromRow(r: ClaimedRow, workerId: string, now: Date): Job {
  const errors = r.errors ?? [];
  return jobFromRow({
    ...r,
    status: 'RUNNING',
    result: null,
    error: errors.length ? (errors[errors.length - 1] as JobError) : null,
    errors,
    progress: null,
    progress_message: null,
    worker_id: workerId,
    cancel_requested: false,
    updated_at: now,
    started_at: now,
    finished_at: null,
  });
}
