import type { z } from 'zod';
import type { BackoffPolicy } from '../backoff.ts';
import type { EnqueueOptions } from '../enqueue-options.ts';
import type { Job } from '../job.ts';

/**
 * A handler's second argument. Destructure it or pass it on as it is; its members are accessors, so a
 * copy made with `{ ...ctx }` would lack them.
 */
export interface JobContext {
  /** Fires on timeout, cancellation and worker shutdown; pass it to fetch, timers and child processes. */
  signal: AbortSignal;
  /** 1 on the first run. */
  attempt: number;
  jobId: string;
  job: Readonly<Job>;
  /** Reports progress (0–100) with an optional message; shown live in the API. */
  progress(percent: number, message?: string): void;
  /** Appends a line to the job's log. */
  log(message: string): void;
  /** Enqueues a follow-up job. */
  enqueue(type: string, payload: unknown, options?: EnqueueOptions): Promise<Job>;
}

export interface JobTypeConfig<S extends z.ZodType, R> {
  name: string;
  description?: string;
  /** zod schema of the payload; the handler receives its parsed output. */
  schema?: S;
  queue?: string;
  /** Higher runs first. */
  priority?: number;
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  /** Milliseconds; the signal fires and the attempt fails when it passes. */
  timeout?: number;
  handler: (payload: z.output<S>, ctx: JobContext) => Promise<R> | R;
}

const JOB_TYPE = Symbol.for('jobfleet.jobType');

export interface JobType<S extends z.ZodType = z.ZodType, R = unknown> extends JobTypeConfig<S, R> {
  readonly [JOB_TYPE]: true;
}

export type AnyJobType = JobType<z.ZodType, unknown>;

const NAME = /^[A-Za-z][\w.:-]{0,127}$/;

/** Declares a job type. Export it from a module in a jobs folder and workers discover it. */
export function defineJob<S extends z.ZodType, R>(config: JobTypeConfig<S, R>): JobType<S, R> {
  if (!NAME.test(config.name)) {
    throw new TypeError(
      `Job type name "${config.name}" is invalid: start with a letter; letters, digits, _ . : - only; at most 128 characters.`,
    );
  }
  if (typeof config.handler !== 'function') throw new TypeError(`Job type "${config.name}" needs a handler function.`);
  return Object.freeze({ ...config, [JOB_TYPE]: true as const });
}

export function isJobType(value: unknown): value is AnyJobType {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[JOB_TYPE] === true;
}
