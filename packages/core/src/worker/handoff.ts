import type { ClaimedRow } from '../job.ts';

/**
 * A free slot of an in-process worker, held for one job while this process enqueues it. The enqueue
 * inserts the job RUNNING under this lease when nothing older or more urgent waits in its queue and
 * the queue is not paused; the worker then runs it without claiming it: one statement and one row
 * version fewer, and no claim round trip between the commit and the start.
 */
export interface StartReservation {
  readonly token: string;
  readonly workerId: string;
  readonly leaseMs: number;
  /**
   * The job was inserted RUNNING under this lease: run it. `durable` settles when the flush that puts the
   * insert's commit on disk ends (it committed without waiting), or fails; outcomes wait for it.
   */
  start(row: ClaimedRow, durable: Promise<unknown>): void;
  /** The job was not started here (it waits behind others, its queue is paused, it was a duplicate, the insert failed). */
  cancel(): void;
}

/** What the client asks of an in-process worker that takes jobs directly. */
export interface LocalRunner {
  /** A slot for a job of this type and queue, if one is free right now and nothing waits ahead of it locally. */
  reserveStart(type: string, queue: string): StartReservation | null;
}
