import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Database, Unlisten } from '../db/database.ts';
import { assertSchemaName, channels, DEFAULT_SCHEMA } from '../db/identifiers.ts';
import { JobCancelledError, WorkerShutdownError } from '../errors.ts';
import type { JobEventBus } from '../events.ts';
import { claimedJobFromRow, type ClaimedRow, type Job } from '../job.ts';
import type { JobTypeRegistry } from '../job-types/registry.ts';
import type { JobSource, JobSourceHost } from '../dispatch/job-source.ts';
import { PostgresSource } from '../dispatch/postgres-source.ts';
import { heartbeatSql } from '../sql/heartbeat.ts';
import { progressSql } from '../sql/progress.ts';
import type { JobfleetClient } from '../client.ts';
import { executeJob, LeaseLostError, toJobError, type ExecutionHooks } from './executor.ts';
import { encodeOutcome, type Outcome } from './outcome.ts';
import { Interrupt } from './interrupt.ts';
import { OutcomeWriter } from './outcome-writer.ts';
import { RegistryPublisher } from './registry-publisher.ts';
import type { LocalRunner, StartReservation } from './handoff.ts';

export interface WorkerOptions {
  db: Database;
  registry: JobTypeRegistry;
  /** Used by handlers' ctx.enqueue for follow-up jobs. */
  client: JobfleetClient;
  schema?: string;
  events?: JobEventBus;
  /** Queues to serve; default: the queues of the registered job types. */
  queues?: string[];
  /** Jobs run at once (default 10). */
  concurrency?: number;
  /** Jobs claimed ahead of free slots, so a slot never waits for a round trip (default: concurrency). */
  prefetch?: number;
  /** Fallback poll when no notification arrives, in ms (default 1000). */
  pollIntervalMs?: number;
  /** Lease length in ms; renewed every third of it (default 30000). */
  leaseMs?: number;
  /** Use LISTEN/NOTIFY to wake at once (default true). Everything still works with it off. */
  listen?: boolean;
  /** On stop, how long running jobs may take to finish before they are handed back (default 30000). */
  shutdownGraceMs?: number;
  id?: string;
  /** How the worker learns of jobs (default: claiming from PostgreSQL). */
  source?: JobSource;
  /**
   * Take jobs that this process enqueues straight into a free slot (default true; PostgreSQL dispatch
   * only): the enqueue inserts them RUNNING under this worker's lease when nothing as urgent waits in
   * their queue, so they start without a claim. See worker/handoff.ts.
   */
  handoff?: boolean;
  onError?: (err: Error, context: string) => void;
}

export interface WorkerStats {
  id: string;
  running: number;
  buffered: number;
  pendingOutcomes: number;
  stopping: boolean;
  processed: number;
  /** Jobs this process enqueued that started here without a claim (see reserveStart). */
  startedDirectly: number;
  /** Slots held for enqueues in flight. */
  reserved: number;
  dispatch: JobSource['kind'];
  runningIds: string[];
  /** Figures of the job source: claim state for postgres; delivered, claimed, dropped, held … for rabbitmq. */
  [figure: string]: unknown;
}

interface Active {
  job: Job;
  token: string;
  interrupt: Interrupt;
}

const PROGRESS_MIN_INTERVAL = 200;

/** Claims jobs in batches, runs them with bounded concurrency, renews leases, writes outcomes in batches. */
export class Worker implements LocalRunner {
  readonly id: string;
  readonly queues: string[];
  readonly concurrency: number;
  private readonly db: Database;
  private readonly schema: string;
  private readonly registry: JobTypeRegistry;
  private readonly client: JobfleetClient;
  private readonly events: JobEventBus | undefined;
  private readonly prefetch: number;
  readonly leaseMs: number;
  private readonly useListen: boolean;
  private readonly shutdownGraceMs: number;
  private readonly onError: (err: Error, context: string) => void;
  private readonly writer: OutcomeWriter;
  private readonly publisher: RegistryPublisher;
  private readonly source: JobSource;
  readonly types: string[];

  private readonly running = new Map<string, Active>();
  private buffer: { job: Job; token: string }[] = [];
  /** Slots held for jobs this process is enqueueing (see reserveStart). */
  private reserved = 0;
  private startedDirectly = 0;
  private readonly handoff: boolean;
  private detachRunner: (() => void) | null = null;
  private started = false;
  private stopping: Promise<void> | null = null;
  private forceStop: (() => void) | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly unlisteners: (Unlisten | (() => void))[] = [];
  private readonly progressAt = new Map<string, number>();
  private processed = 0;
  /** True while pump() runs: a job that finishes synchronously inside it must not re-enter it. */
  private pumping = false;
  /** What a running attempt calls back into; made once (its members take the job as an argument). */
  private readonly hooks: ExecutionHooks = {
    workerId: '',
    progress: (j, t, percent, message) => this.reportProgress(j, t, percent, message),
    log: (j, line) => {
      this.events?.publish([
        {
          kind: 'log',
          jobId: j.id,
          type: j.type,
          queue: j.queue,
          status: 'RUNNING',
          ownerId: j.ownerId,
          message: line.message,
          at: line.at,
        },
      ]);
    },
    enqueue: (type, payload, options) => this.client.enqueue(type, payload, options),
  };

  constructor(opts: WorkerOptions) {
    this.db = opts.db;
    this.schema = assertSchemaName(opts.schema ?? DEFAULT_SCHEMA);
    this.registry = opts.registry;
    this.client = opts.client;
    this.events = opts.events;
    this.queues = opts.queues?.length ? opts.queues : opts.registry.queues();
    this.types = opts.registry.names();
    this.concurrency = Math.max(1, opts.concurrency ?? 10);
    this.prefetch = Math.max(0, opts.prefetch ?? this.concurrency);
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.useListen = opts.listen ?? true;
    this.shutdownGraceMs = opts.shutdownGraceMs ?? 30_000;
    this.id = opts.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.hooks.workerId = this.id;
    this.onError = opts.onError ?? (() => {});
    this.handoff = opts.handoff ?? true;
    this.writer = new OutcomeWriter(
      this.db,
      this.schema,
      this.events,
      (e) => this.onError(e, 'writing outcomes'),
      (ids) => {
        this.source.done(ids);
        this.pump();
        this.source.poke();
      },
      1000,
      2,
      // Unwritten outcomes count against the worker's budget: a small worker overlaps sooner.
      Math.max(1, Math.min(100, Math.floor((this.concurrency + this.prefetch) / 4))),
    );
    this.publisher = new RegistryPublisher(this.db, this.schema, this.registry, {
      id: this.id,
      queues: this.queues,
      concurrency: this.concurrency,
    });
    this.source =
      opts.source ??
      new PostgresSource({
        db: this.db,
        schema: this.schema,
        events: this.events,
        listen: this.useListen,
        pollIntervalMs: opts.pollIntervalMs,
      });
  }

  /** Which dispatch feeds this worker. */
  get dispatch(): JobSource['kind'] {
    return this.source.kind;
  }

  /** Jobs completed, failed or cancelled by this worker since it started. */
  get processedCount(): number {
    return this.processed;
  }

  get activeCount(): number {
    return this.running.size;
  }

  /** A snapshot of what the worker holds, for metrics and diagnosis (plus its job source's own figures). */
  stats(): WorkerStats {
    return {
      id: this.id,
      running: this.running.size,
      buffered: this.buffer.length,
      pendingOutcomes: this.writer.size,
      stopping: this.stopping !== null,
      processed: this.processed,
      startedDirectly: this.startedDirectly,
      reserved: this.reserved,
      dispatch: this.source.kind,
      ...this.source.stats(),
      runningIds: [...this.running.keys()],
    };
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.types.length === 0) throw new Error('A worker needs at least one job type.');
    this.started = true;
    await this.publisher.publish().catch((e) => this.onError(e as Error, 'publishing job types'));
    if (this.events) this.unlisteners.push(this.events.onCancel((id) => this.cancelLocal(id)));
    if (this.useListen) {
      try {
        this.unlisteners.push(await this.db.listen(channels(this.schema).cancel, (id) => this.cancelLocal(id)));
      } catch (err) {
        this.onError(err as Error, 'listening for cancellations (heartbeats still deliver them)');
      }
    }
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(100, Math.floor(this.leaseMs / 3)));
    await this.source.start(this.sourceHost());
    // A broker's deliveries are the only way jobs reach a RabbitMQ-fed worker; a custom source may be anything.
    if (this.handoff && this.source instanceof PostgresSource) this.detachRunner = this.client.attachRunner(this);
  }

  /**
   * Holds a slot for a job this process is enqueueing, when one is free now, nothing claimed waits
   * to run, and the job is of a type and queue this worker serves. The slot counts against claims
   * until the enqueue settles it.
   */
  reserveStart(type: string, queue: string): StartReservation | null {
    if (!this.started || this.stopping || this.buffer.length > 0) return null;
    const busy = this.running.size + this.reserved;
    if (busy >= this.concurrency || busy + this.writer.size >= this.concurrency + this.prefetch) return null;
    if (!this.queues.includes(queue) || !this.registry.get(type)) return null;
    this.reserved++;
    const token = randomUUID();
    let open = true;
    const settle = (): boolean => {
      if (!open) return false;
      open = false;
      this.reserved--;
      return true;
    };
    return {
      token,
      workerId: this.id,
      leaseMs: this.leaseMs,
      start: (row, durable) => {
        if (!settle()) return;
        this.startedDirectly++;
        this.writer.holdUntil(durable);
        this.accept([row], token);
      },
      cancel: () => {
        if (settle()) this.source.poke();
      },
    };
  }

  /** New work may be ready. */
  wake(): void {
    this.source.wake();
  }

  private sourceHost(): JobSourceHost {
    return {
      workerId: this.id,
      queues: this.queues,
      types: this.types,
      leaseMs: this.leaseMs,
      capacity: this.concurrency + this.prefetch,
      // Claims are bounded by what waits to run; the next claim overlaps the last batch's outcome write.
      // What a crash would run again (running jobs and unwritten outcomes) is bounded in pump().
      room: () => this.concurrency + this.prefetch - this.running.size - this.buffer.length - this.reserved,
      // Top up only when the buffer runs low, so claims stay large.
      wantsMore: () => !this.stopping && this.buffer.length <= this.prefetch / 2,
      accept: (rows, token) => this.accept(rows, token),
      onError: this.onError,
    };
  }

  private accept(rows: ClaimedRow[], token: string): void {
    const now = new Date();
    // Claims return rows in key order: run them most urgent first, oldest first.
    const jobs = rows
      .map((r) => claimedJobFromRow(r, this.id, now))
      .sort((a, b) => b.priority - a.priority || a.runAt.getTime() - b.runAt.getTime() || (a.id < b.id ? -1 : 1));
    if (this.stopping) {
      for (const job of jobs) this.record(job, token, { id: job.id, token, status: 'QUEUED', release: true });
      return;
    }
    for (const job of jobs) this.buffer.push({ job, token });
    // Building events costs an object per job: skip it when nobody would receive them.
    if (this.events?.active) this.events.publishStates(rows, 'RUNNING');
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      // Executed but not yet written, a job would run again after a crash: at most concurrency +
      // prefetch of them at any time (a worker whose writes stall stops starting jobs).
      const limit = this.concurrency + this.prefetch;
      while (
        this.running.size < this.concurrency &&
        this.buffer.length > 0 &&
        this.running.size + this.writer.size < limit &&
        !this.stopping
      ) {
        const next = this.buffer.shift() as { job: Job; token: string };
        this.run(next.job, next.token);
      }
    } finally {
      this.pumping = false;
    }
  }

  private run(job: Job, token: string): void {
    const interrupt = new Interrupt();
    this.running.set(job.id, { job, token, interrupt });
    const outcome = executeJob(job, token, this.registry.get(job.type), interrupt, this.hooks);
    if (outcome instanceof Promise) void outcome.then((o) => this.finish(job, token, o));
    else this.finish(job, token, outcome);
  }

  /** Records how an attempt ended and frees its slot. */
  private finish(job: Job, token: string, outcome: Outcome | null): void {
    try {
      if (outcome) this.record(job, token, outcome);
    } finally {
      this.running.delete(job.id);
      this.progressAt.delete(job.id);
      this.processed++;
      if (this.stopping && this.running.size === 0) this.forceStop?.();
      this.pump();
      this.source.poke();
    }
  }

  /** Hands an attempt's outcome to the writer, serialised once, up front. */
  private record(job: Job, token: string, outcome: Outcome): void {
    let json: string;
    let status = outcome.status;
    try {
      json = encodeOutcome(outcome);
    } catch (err) {
      // The handler returned something JSON cannot carry: that attempt fails for good.
      status = 'DEAD';
      json = encodeOutcome({
        id: job.id,
        token,
        status,
        error: toJobError(
          new Error(`The job's result cannot be stored as JSON: ${(err as Error).message}`),
          job.attempts,
          this.id,
        ),
      });
    }
    this.writer.record(job, token, json, status, outcome.release === true);
  }

  private reportProgress(job: Job, token: string, percent: number, message: string | null): void {
    this.events?.publish([
      {
        kind: 'progress',
        jobId: job.id,
        type: job.type,
        queue: job.queue,
        status: 'RUNNING',
        ownerId: job.ownerId,
        progress: percent,
        message,
        at: new Date().toISOString(),
      },
    ]);
    const now = Date.now();
    const last = this.progressAt.get(job.id) ?? 0;
    if (now - last < PROGRESS_MIN_INTERVAL && percent < 100) return;
    this.progressAt.set(job.id, now);
    this.db
      .query(progressSql(this.schema), [job.id, token, percent, message])
      .catch((e) => this.onError(e as Error, 'recording progress'));
  }

  private cancelLocal(jobId: string): void {
    this.running.get(jobId)?.interrupt.abort(new JobCancelledError());
  }

  private async heartbeat(): Promise<void> {
    const held = [
      ...[...this.running.values()].map((a) => ({ id: a.job.id, token: a.token })),
      ...this.buffer.map((b) => ({ id: b.job.id, token: b.token })),
      ...this.writer.pending(),
    ];
    try {
      if (held.length) {
        const { rows } = await this.db.query<{ id: string; cancel_requested: boolean }>(heartbeatSql(this.schema), [
          held.map((h) => h.id),
          [...new Set(held.map((h) => h.token))],
          this.leaseMs,
        ]);
        const alive = new Map(rows.map((r) => [r.id, r.cancel_requested]));
        // Judge only the jobs this heartbeat asked about: jobs claimed or started during the
        // round trip were not in the question, and their leases are fresh.
        const asked = new Set(held.map((h) => h.id));
        for (const [id, active] of this.running) {
          if (!asked.has(id)) continue;
          if (!alive.has(id)) active.interrupt.abort(new LeaseLostError());
          else if (alive.get(id)) active.interrupt.abort(new JobCancelledError());
        }
        const lost: string[] = [];
        this.buffer = this.buffer.filter((b) => {
          const keep = !asked.has(b.job.id) || alive.has(b.job.id);
          if (!keep) lost.push(b.job.id);
          return keep;
        });
        if (lost.length) this.source.done(lost);
      }
      await this.publisher.maybePublish();
    } catch (err) {
      this.onError(err as Error, 'renewing leases');
    }
  }

  /**
   * Stops claiming, hands back jobs not yet started, lets running jobs finish within the grace
   * period and then aborts them and hands them back too. Calling it again aborts at once.
   */
  stop(opts: { graceMs?: number } = {}): Promise<void> {
    if (this.stopping) {
      this.forceStop?.();
      return this.stopping;
    }
    this.stopping = this.shutdown(opts.graceMs ?? this.shutdownGraceMs);
    return this.stopping;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.detachRunner?.();
    this.detachRunner = null;
    const sourceStopped = this.source.stop();
    for (const b of this.buffer.splice(0)) {
      this.record(b.job, b.token, { id: b.job.id, token: b.token, status: 'QUEUED', release: true });
    }
    if (this.running.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.forceStop = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      for (const a of this.running.values()) a.interrupt.abort(new WorkerShutdownError());
      // Aborted attempts settle on the next turn; their hand-backs join the writer's queue.
      while (this.running.size > 0) await new Promise((r) => setTimeout(r, 5));
    }
    await sourceStopped;
    // Enqueues that hold a slot settle soon: a job they started comes back through accept(), which
    // hands it back while stopping.
    while (this.reserved > 0) await new Promise((r) => setTimeout(r, 5));
    await this.writer.drain();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.source.close().catch((e) => this.onError(e as Error, 'closing the job source'));
    for (const u of this.unlisteners.splice(0)) await u();
    await this.publisher.unregister().catch(() => {});
  }
}
