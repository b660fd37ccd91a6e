/** What every benchmarked system implements. One instance runs one session on one fresh database. */

/** The payload every system carries: `i` numbers a drain job, `t` is the enqueue time of a latency probe (performance.now()). */
export interface BenchPayload {
  i?: number;
  t?: number;
}

/** Fresh resources the harness prepared for one session. */
export interface SessionResources {
  /** A freshly created PostgreSQL database (postgres backends). */
  databaseUrl?: string;
  /** A flushed Redis logical database (redis backends). */
  redis?: { host: string; port: number; db: number };
  /**
   * Every handler calls this with its payload as its first act, and awaits what it returns when
   * that is a promise (the scale-out workload's I/O-bound jobs); the no-op path stays synchronous.
   */
  onJob: (payload: unknown) => void | Promise<void>;
  /**
   * Connections one process may open (scale-out: several processes share the server's
   * max_connections). Unset: the system's own setting.
   */
  poolSize?: number;
}

export type Backend = 'postgresql' | 'pglite' | 'redis';

export interface BenchSystem {
  /** File name and result key, e.g. "jobfleet-pg". */
  readonly id: string;
  /** Row label in the tables. */
  readonly label: string;
  readonly backend: Backend;
  /** Library name and version, e.g. "graphile-worker 0.17.3". */
  readonly version: string;
  /** Settings printed with the results. */
  readonly settings: Record<string, unknown>;
  /** Per-system note printed under the tables (why a setting or sample size differs). */
  readonly note?: string;
  /** Jitter (ms) added between latency probes so polling systems are probed at random phases. */
  readonly latencyJitterMs?: number;
  /** Cap on the drain size, for systems whose rate is bounded by polling (the report shows the N used). */
  readonly maxDrainJobs?: number;
  /** Cap on latency samples (for polling systems whose probes take a poll interval each). */
  readonly maxLatencySamples?: number;

  /** Connects to the fresh database (or Redis DB), installs the schema, registers the no-op job type. */
  setup(res: SessionResources): Promise<void>;
  /** Enqueues jobs with payloads { i: from … from+n-1 } through the system's bulk API. */
  enqueueBulk(from: number, n: number): Promise<void>;
  /** ANALYZE after bulk enqueues (no-op for Redis). */
  analyze(): Promise<void>;
  /** Starts the workers of this session, with this total concurrency. */
  startWorkers(concurrency: number): Promise<void>;
  /** Jobs not finished yet in storage (queued, running, or waiting for their completion write). */
  remaining(): Promise<number>;
  /** Jobs whose completion storage shows (systems that delete completed jobs count what is gone). */
  completed(enqueued: number): Promise<number>;
  /** Enqueues one job through the single-job API, carrying the enqueue timestamp. */
  latencyProbe(payload: BenchPayload): Promise<void>;
  /** Stops workers and closes connections; the harness then drops the database. */
  teardown(): Promise<void>;
}

export type SystemFactory = () => BenchSystem;

/** Prefix of the line a session process (bench/session.ts) prints its JSON result on. */
export const RESULT_MARK = '@@bench-result ';
