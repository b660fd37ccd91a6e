import type { ClaimedRow } from '../job.ts';

/** What a job source sees of the worker it feeds. */
export interface JobSourceHost {
  readonly workerId: string;
  readonly queues: readonly string[];
  readonly types: readonly string[];
  readonly leaseMs: number;
  /** Jobs the worker holds at most: concurrency plus prefetch. */
  readonly capacity: number;
  /** How many more jobs the worker takes now: free slots and prefetch, less what it holds or has yet to write. */
  room(): number;
  /** The buffer of claimed, unstarted jobs is low enough to top up (keeps claims large). */
  wantsMore(): boolean;
  /** Claimed jobs (status RUNNING under `token`) for the worker to run or, when stopping, hand back. */
  accept(rows: ClaimedRow[], token: string): void;
  onError(err: Error, context: string): void;
}

/**
 * How a worker learns of jobs (issue 8). Every source claims in the database by compare-and-set before a
 * job runs, so the database stays the one truth whatever the transport delivers, twice or late.
 */
export interface JobSource {
  readonly kind: 'postgres' | 'rabbitmq';
  start(host: JobSourceHost): Promise<void>;
  /** New work may be ready (a notification or the poll). */
  wake(): void;
  /** The worker has room again (a job ended, outcomes were written). */
  poke(): void;
  /** The worker is finished with these jobs: outcomes committed, or dropped after a lost lease. */
  done(ids: readonly string[]): void;
  /** Stops taking new jobs; resolves once no claim is in flight. */
  stop(): Promise<void>;
  /** Releases transport resources, after the worker wrote its last outcome. */
  close(): Promise<void>;
  stats(): Record<string, unknown>;
}
