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

export type ClaimedRow = JobDefinitionRow & Pick<JobRow, 'run_at' | 'attempts' | 'errors' | 'logs' | 'created_at'>;

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

/** What the enqueuer chose: the columns that never change after the insert. */
export type JobDefinitionRow = Pick<
  JobRow,
  | 'id'
  | 'type'
  | 'queue'
  | 'payload'
  | 'priority'
  | 'max_attempts'
  | 'backoff'
  | 'timeout_ms'
  | 'idempotency_key'
  | 'owner_id'
  | 'batch_id'
  | 'schedule_id'
  | 'metadata'
>;

/** The columns that move as the job runs (and those a fresh insert learns from the database). */
export type JobStateRow = Omit<JobRow, keyof JobDefinitionRow>;

export function jobFromRow(r: JobRow): Job {
  return jobFromParts(r, r);
}

/**
 * Builds a job from its definition and its state, which may be two objects: callers that know the
 * state without reading it (a fresh insert, a fresh claim) pass it as a literal. Spreading a row into
 * a new one instead (`{ ...row, status }`) gives every copy a hidden class of its own in Node 20's V8
 * (`%HaveSameMap` is false for two of them): about 20 µs per job, and every later property read of
 * such objects misses its inline cache.
 */
export function jobFromParts(d: JobDefinitionRow, s: JobStateRow): Job {
  return {
    id: d.id,
    type: d.type,
    queue: d.queue,
    status: s.status,
    payload: d.payload,
    priority: d.priority,
    runAt: toDate(s.run_at),
    attempts: s.attempts,
    maxAttempts: d.max_attempts,
    backoff: d.backoff,
    timeoutMs: d.timeout_ms,
    idempotencyKey: d.idempotency_key,
    ownerId: d.owner_id,
    batchId: d.batch_id,
    scheduleId: d.schedule_id,
    metadata: d.metadata,
    result: s.result,
    error: s.error,
    errors: s.errors ?? [],
    progress: s.progress,
    progressMessage: s.progress_message,
    logs: s.logs ?? [],
    workerId: s.worker_id,
    cancelRequested: s.cancel_requested,
    createdAt: toDate(s.created_at),
    updatedAt: toDate(s.updated_at),
    startedAt: toDateOrNull(s.started_at),
    finishedAt: toDateOrNull(s.finished_at),
  };
}

/**
 * A job as claimed by this worker just now, from the claim's narrow row: the rest of a fresh claim is
 * known (RUNNING, no result or progress, this worker, started now; its error is the last of its errors).
 */
export function claimedJobFromRow(r: ClaimedRow, workerId: string, now: Date): Job {
  const errors = r.errors ?? [];
  return jobFromParts(r, {
    status: 'RUNNING',
    run_at: r.run_at,
    attempts: r.attempts,
    result: null,
    error: errors.length ? (errors[errors.length - 1] as JobError) : null,
    errors,
    progress: null,
    progress_message: null,
    logs: r.logs,
    worker_id: workerId,
    cancel_requested: false,
    created_at: r.created_at,
    updated_at: now,
    started_at: now,
    finished_at: null,
  });
}
