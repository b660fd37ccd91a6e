import { backoffDelay } from '../backoff.ts';
import { JobCancelledError, JobTimeoutError, PermanentJobError, WorkerShutdownError } from '../errors.ts';
import type { JobContext, AnyJobType } from '../job-types/define-job.ts';
import type { Job, JobError, JobLogLine } from '../job.ts';
import type { Outcome } from './outcome.ts';
import type { Interrupt } from './interrupt.ts';

export interface ExecutionHooks {
  workerId: string;
  progress(job: Job, token: string, percent: number, message: string | null): void;
  log(job: Job, line: JobLogLine): void;
  enqueue: JobContext['enqueue'];
}

const MAX_LOG_LINES = 1000;
const MAX_LOG_LINE = 4000;
const MAX_STACK = 8000;

/** Why an attempt was interrupted from outside the handler. */
export type AbortReason = JobTimeoutError | JobCancelledError | WorkerShutdownError | LeaseLostError;

export class LeaseLostError extends Error {
  constructor() {
    super('The worker lost this job’s lease; another worker may run it.');
  }
}

/**
 * Runs one attempt of one job and says how it ended. Never throws: every failure becomes an outcome.
 * Timeout, cancellation and shutdown fire the handler's AbortSignal and end the attempt at once,
 * whether or not the handler honours the signal. A handler that returns without a promise has its
 * outcome returned at once, without a promise, timer or race: nothing could interrupt it anyway,
 * and those cost more than a short job itself.
 */
export function executeJob(
  job: Job,
  token: string,
  jobType: AnyJobType | undefined,
  interrupt: Interrupt,
  hooks: ExecutionHooks,
): Outcome | null | Promise<Outcome | null> {
  const logs: JobLogLine[] = [];
  const base = { id: job.id, token };
  try {
    if (!jobType) throw new PermanentJobError(`This worker has no handler for job type "${job.type}".`);
    let payload: unknown = job.payload;
    if (jobType.schema) {
      const parsed = jobType.schema.safeParse(job.payload);
      if (!parsed.success) {
        throw new PermanentJobError(
          `The payload no longer matches job type "${job.type}": ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
        );
      }
      payload = parsed.data;
    }
    const ctx = new AttemptContext(job, token, interrupt, hooks, logs);
    const returned = jobType.handler(payload, ctx);
    if (!isThenable(returned)) return completed(base, returned, logs);
    return settle(job, returned, interrupt, hooks, base, logs);
  } catch (err) {
    return failed(job, interrupt.aborted ? interrupt.reason : err, hooks, base, logs);
  }
}

/**
 * What a handler gets as its second argument. A class rather than a literal of closures: most handlers
 * never log or report progress, and making two closures per job costs more than a no-op job itself
 * (under tsx each is also named through Object.defineProperty). Handlers may destructure it
 * (`{ log, progress }`), so those two are handed out bound to the attempt, made on first use.
 */
class AttemptContext implements JobContext {
  private boundProgress: JobContext['progress'] | null = null;
  private boundLog: JobContext['log'] | null = null;

  constructor(
    readonly job: Job,
    private readonly token: string,
    private readonly interrupt: Interrupt,
    private readonly hooks: ExecutionHooks,
    private readonly logs: JobLogLine[],
  ) {}

  get signal(): AbortSignal {
    return this.interrupt.signal;
  }

  get attempt(): number {
    return this.job.attempts;
  }

  get jobId(): string {
    return this.job.id;
  }

  get enqueue(): JobContext['enqueue'] {
    return this.hooks.enqueue;
  }

  get progress(): JobContext['progress'] {
    return (this.boundProgress ??= (percent, message) => {
      const p = Math.max(0, Math.min(100, Number(percent) || 0));
      this.hooks.progress(this.job, this.token, p, message ?? null);
    });
  }

  get log(): JobContext['log'] {
    return (this.boundLog ??= (message) => {
      if (this.logs.length >= MAX_LOG_LINES) return;
      const line = { at: new Date().toISOString(), message: String(message).slice(0, MAX_LOG_LINE) };
      this.logs.push(line);
      this.hooks.log(this.job, line);
    });
  }
}

async function settle(
  job: Job,
  work: PromiseLike<unknown>,
  interrupt: Interrupt,
  hooks: ExecutionHooks,
  base: { id: string; token: string },
  logs: JobLogLine[],
): Promise<Outcome | null> {
  const timeoutMs = job.timeoutMs;
  const timer =
    timeoutMs && timeoutMs > 0 ? setTimeout(() => interrupt.abort(new JobTimeoutError(timeoutMs)), timeoutMs) : undefined;
  try {
    return completed(base, await interrupt.race(Promise.resolve(work)), logs);
  } catch (err) {
    return failed(job, interrupt.aborted ? interrupt.reason : err, hooks, base, logs);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function completed(base: { id: string; token: string }, result: unknown, logs: JobLogLine[]): Outcome {
  return { id: base.id, token: base.token, status: 'COMPLETED', result: result === undefined ? null : result, logs };
}

function failed(
  job: Job,
  reason: unknown,
  hooks: ExecutionHooks,
  base: { id: string; token: string },
  logs: JobLogLine[],
): Outcome | null {
  if (reason instanceof LeaseLostError) return null;
  if (reason instanceof WorkerShutdownError) return { id: base.id, token: base.token, status: 'QUEUED', release: true, logs };
  const error = toJobError(reason, job.attempts, hooks.workerId);
  if (reason instanceof JobCancelledError) return { id: base.id, token: base.token, status: 'CANCELLED', error, logs };
  const permanent = reason instanceof PermanentJobError;
  if (permanent || job.attempts >= job.maxAttempts) return { id: base.id, token: base.token, status: 'DEAD', error, logs };
  const delay = backoffDelay(job.backoff, job.attempts);
  return { id: base.id, token: base.token, status: 'FAILED', error, runAt: new Date(Date.now() + delay).toISOString(), logs };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

export function toJobError(err: unknown, attempt: number, workerId: string): JobError {
  const e = err instanceof Error ? err : new Error(typeof err === 'string' ? err : safeString(err));
  const code = (e as { code?: unknown }).code;
  return {
    message: e.message || e.name || 'Error',
    name: e.name,
    ...(typeof code === 'string' ? { code } : {}),
    ...(e.stack ? { stack: e.stack.slice(0, MAX_STACK) } : {}),
    attempt,
    at: new Date().toISOString(),
    workerId,
  };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
