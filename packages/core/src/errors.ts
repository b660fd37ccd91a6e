/** Every error the engine raises on purpose carries a stable machine-readable code. */
export class JobfleetError extends Error {
  readonly code: string;
  readonly details: unknown;
  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export class UnknownJobTypeError extends JobfleetError {
  constructor(type: string) {
    super('UNKNOWN_JOB_TYPE', `No job type named "${type}" is registered or published by a live worker.`, { type });
  }
}

export interface Issue {
  path: string;
  message: string;
}

export class PayloadValidationError extends JobfleetError {
  constructor(type: string, issues: Issue[]) {
    const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('INVALID_PAYLOAD', `The payload does not match job type "${type}": ${summary}`, { type, issues });
  }
}

export class InvalidOptionError extends JobfleetError {
  constructor(message: string, details?: unknown) {
    super('INVALID_OPTION', message, details);
  }
}

export class JobNotFoundError extends JobfleetError {
  constructor(id: string) {
    super('JOB_NOT_FOUND', `No job with id "${id}" exists (or you may not see it).`, { id });
  }
}

export class InvalidStateError extends JobfleetError {
  constructor(id: string, status: string, action: string) {
    super('INVALID_STATE', `Job "${id}" is ${status}; it cannot be ${action}.`, { id, status, action });
  }
}

/** Thrown by a handler to fail a job without further retries: it goes straight to DEAD. */
export class PermanentJobError extends JobfleetError {
  constructor(message: string, details?: unknown) {
    super('PERMANENT_FAILURE', message, details);
  }
}

export class JobTimeoutError extends JobfleetError {
  constructor(timeoutMs: number) {
    super('JOB_TIMEOUT', `The job exceeded its timeout of ${timeoutMs} ms.`, { timeoutMs });
  }
}

export class JobCancelledError extends JobfleetError {
  constructor() {
    super('JOB_CANCELLED', 'The job was cancelled.');
  }
}

export class WorkerShutdownError extends JobfleetError {
  constructor() {
    super('WORKER_SHUTDOWN', 'The worker is shutting down.');
  }
}

/**
 * The database no longer has jobs it had committed without waiting for the disk (a direct start; the server
 * restarted, or another server answers). Nothing of them is kept; they may have started. Submit them again.
 */
export class JobsLostError extends JobfleetError {
  constructor(lost: number, of: number) {
    super(
      'ENQUEUE_LOST',
      `The database lost ${lost} of ${of} job(s) of this enqueue before they were on disk (it restarted); submit again.`,
      { lost, of },
    );
  }
}
