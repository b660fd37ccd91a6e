import type { JobError, JobLogLine, JobStatus } from '../job.ts';

/** The end of one attempt, as the worker will write it. */
export interface Outcome {
  id: string;
  token: string;
  status: Extract<JobStatus, 'COMPLETED' | 'FAILED' | 'DEAD' | 'CANCELLED' | 'QUEUED'>;
  result?: unknown;
  error?: JobError;
  runAt?: string;
  logs?: JobLogLine[];
  /** Hand the job back without counting the attempt (shutdown). */
  release?: boolean;
}

/**
 * Serialises an outcome once, up front, so that an unserialisable result fails the attempt instead of the batch.
 * Absent parts are left out rather than written as null (json_to_recordset reads a missing key as NULL):
 * a batch carries a thousand outcomes, and for a plain completion the nulls were a third of its bytes.
 */
export function encodeOutcome(o: Outcome): string {
  return JSON.stringify({
    id: o.id,
    token: o.token,
    status: o.status,
    result: o.result ?? undefined,
    error: o.error,
    run_at: o.runAt,
    logs: o.logs && o.logs.length ? o.logs : undefined,
    release: o.release || undefined,
  });
}
