import { uuidv7 } from './ids.ts';
import { backoffSchema, type ResolvedBackoff } from './backoff.ts';
import { queryPrepared, type Database, type Queryable } from './db/database.ts';
import { assertSchemaName, channels, DEFAULT_SCHEMA } from './db/identifiers.ts';
import { parseEnqueueOptions, queueNameSchema, type EnqueueOptions } from './enqueue-options.ts';
import {
  JobsLostError,
  InvalidOptionError,
  InvalidStateError,
  JobNotFoundError,
  PayloadValidationError,
  UnknownJobTypeError,
} from './errors.ts';
import { stateEvents, type JobEventBus, type OutcomeRow } from './events.ts';
import { GroupCommitter } from './group-commit.ts';
import {
  JOB_COLUMNS,
  JOB_STATUSES,
  jobFromParts,
  jobFromRow,
  type ClaimedRow,
  type Job,
  type JobRow,
  type JobStatus,
} from './job.ts';
import { JobTypeCatalog, type JobTypeInfo, type ResolvedJobType } from './job-types/catalog.ts';
import type { JobTypeRegistry } from './job-types/registry.ts';
import type { LocalRunner, StartReservation } from './worker/handoff.ts';
import {
  confirmFlushSql,
  enqueueAndStartJobsSql,
  enqueueJobsSql,
  findByIdempotencySql,
  flushWalSql,
} from './sql/enqueue-jobs.ts';
import * as q from './sql/job-queries.ts';

export interface EnqueueSpec {
  type: string;
  payload?: unknown;
  options?: EnqueueOptions;
}

export interface EnqueuedJob extends Job {
  /** True when an idempotency key matched an existing job, which is returned instead of a new one. */
  deduplicated: boolean;
}

/** Restricts an operation to one owner's jobs (a member acting through the API). */
export interface Scope {
  ownerId?: string;
}

export interface ListJobsFilter {
  status?: JobStatus | JobStatus[];
  type?: string;
  queue?: string;
  ownerId?: string;
  batchId?: string;
  scheduleId?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  /** 1–500, default 50. */
  limit?: number;
  /** The nextCursor of the previous page. */
  cursor?: string;
}

export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}

export interface QueueInfo {
  name: string;
  paused: boolean;
  counts: Record<JobStatus, number>;
}

export interface ReplayFilter {
  ids?: string[];
  type?: string;
  queue?: string;
}

export interface JobfleetClientOptions {
  db: Database;
  schema?: string;
  /** Job types known in this process; others are looked up among those published by workers. */
  registry?: JobTypeRegistry;
  events?: JobEventBus;
  /** Coalesce concurrent single enqueues into one INSERT (default true). */
  groupCommit?: boolean;
}

interface InsertRow {
  id: string;
  type: string;
  queue: string;
  payload: unknown;
  priority: number;
  run_at: string | null;
  max_attempts: number;
  backoff: ResolvedBackoff | null;
  timeout_ms: number | null;
  idempotency_key: string | null;
  owner_id: string | null;
  batch_id: string | null;
  schedule_id: string | null;
  metadata: Record<string, unknown> | null;
  /** Set when an in-process worker holds a slot for the job (see worker/handoff.ts). */
  lease_token: string | undefined;
  worker_id: string | undefined;
  lease_ms: number | undefined;
}

interface Inserted {
  id: string;
  status: JobStatus;
  /** Epoch milliseconds. */
  run_at: number;
  created_at: number;
  /** Returned by the statement that may start jobs (see worker/handoff.ts): set when it did. */
  started_at?: number | null;
  stored_payload?: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BULK_EVENT_LIMIT = 1000;
const NO_OPTIONS = parseEnqueueOptions({});
const MAX_STATEMENT_ROWS = 5000;
/** Pauses before each confirmation of a batch whose flush failed (confirmDurable). */
const CONFIRM_RETRY_MS = [50, 250, 1000];

/** The enqueue side and job administration: everything but running jobs. */
export class JobfleetClient {
  readonly db: Database;
  readonly schema: string;
  readonly catalog: JobTypeCatalog;
  private readonly events: JobEventBus | undefined;
  private readonly committer: GroupCommitter<InsertRow, Inserted | null> | null;
  private readonly channels: ReturnType<typeof channels>;
  private readonly enqueueSql: string;
  private readonly enqueueAndStartSql: string;
  private readonly confirmSql: string;
  /** In-process workers that take jobs this client enqueues directly, when they have a free slot. */
  private readonly runners: LocalRunner[] = [];
  /** The slot each row of a direct start holds, for the insert to start it (rows stay out of the JSON). */
  private readonly reservations = new WeakMap<InsertRow, StartReservation>();
  /** Rows whose submission event went out before their enqueue answered (startAndFlush). */
  private readonly announced = new WeakSet<InsertRow>();

  constructor(opts: JobfleetClientOptions) {
    this.db = opts.db;
    this.schema = assertSchemaName(opts.schema ?? DEFAULT_SCHEMA);
    this.catalog = new JobTypeCatalog(opts.db, this.schema, opts.registry);
    this.events = opts.events;
    this.channels = channels(this.schema);
    this.enqueueSql = enqueueJobsSql(this.schema);
    this.enqueueAndStartSql = enqueueAndStartJobsSql(this.schema);
    this.confirmSql = confirmFlushSql(this.schema);
    this.committer =
      opts.groupCommit === false ? null : new GroupCommitter((rows) => this.insertRows(this.db, rows), MAX_STATEMENT_ROWS);
  }

  /** Lets an in-process worker take jobs enqueued here directly; returns the detach function. */
  attachRunner(runner: LocalRunner): () => void {
    this.runners.push(runner);
    return () => {
      const i = this.runners.indexOf(runner);
      if (i >= 0) this.runners.splice(i, 1);
    };
  }

  /** Enqueues one job. Pass `{ tx }` to enqueue inside your own transaction (any pg client works). */
  async enqueue(type: string, payload?: unknown, options?: EnqueueOptions, ctx: { tx?: Queryable } = {}): Promise<EnqueuedJob> {
    const [job] = await this.enqueueMany([{ type, payload, options }], ctx);
    return job as EnqueuedJob;
  }

  /** Enqueues many jobs in as few statements as possible (5,000 rows each). All are validated first: one bad spec writes nothing. */
  async enqueueMany(specs: EnqueueSpec[], ctx: { tx?: Queryable } = {}): Promise<EnqueuedJob[]> {
    if (!Array.isArray(specs)) throw new InvalidOptionError('enqueueMany expects an array of { type, payload, options }.');
    const rows: InsertRow[] = [];
    const types = new Map<string, ResolvedJobType | null>();
    for (let i = 0; i < specs.length; i++) {
      try {
        rows.push(await this.prepare(specs[i] as EnqueueSpec, types));
      } catch (err) {
        if (specs.length > 1 && err instanceof Error && 'details' in err) {
          (err as { message: string }).message = `Job #${i}: ${err.message}`;
        }
        throw err;
      }
    }
    // A lone job outside a caller's transaction may go straight to a free in-process worker: it is
    // committed before the worker sees it. (Inside a transaction it must wait for the caller's commit.)
    const reservation = !ctx.tx && rows.length === 1 && this.committer ? this.reserveStart(rows[0] as InsertRow) : null;
    let inserted: (Inserted | null)[];
    let jobs: EnqueuedJob[];
    try {
      inserted = await this.insert(rows, ctx.tx);
      jobs = await this.materialize(rows, inserted, ctx.tx ?? this.db);
    } catch (err) {
      reservation?.cancel();
      throw err;
    }
    if (this.events && jobs.length <= BULK_EVENT_LIMIT) {
      // A batch that started jobs announced its jobs before they started (startAndFlush).
      const fresh = jobs.filter((j, i) => !j.deduplicated && !this.announced.has(rows[i] as InsertRow));
      if (!ctx.tx) this.events.publish(stateEvents(fresh.map(toOutcome)));
    }
    // The insert started the job if it could; otherwise the slot is free again.
    reservation?.cancel();
    return jobs;
  }

  /** A free slot of an in-process worker for this row; marks the row to be inserted under its lease. */
  private reserveStart(row: InsertRow): StartReservation | null {
    if (row.run_at !== null) return null;
    for (const runner of this.runners) {
      const reservation = runner.reserveStart(row.type, row.queue);
      if (!reservation) continue;
      row.lease_token = reservation.token;
      row.worker_id = reservation.workerId;
      row.lease_ms = reservation.leaseMs;
      this.reservations.set(row, reservation);
      return reservation;
    }
    return null;
  }

  private async insert(rows: InsertRow[], tx: Queryable | undefined): Promise<(Inserted | null)[]> {
    if (tx) {
      const inserted: (Inserted | null)[] = [];
      for (let i = 0; i < rows.length; i += MAX_STATEMENT_ROWS) {
        inserted.push(...(await this.insertRows(tx, rows.slice(i, i + MAX_STATEMENT_ROWS))));
      }
      return inserted;
    }
    if (rows.length === 1 && this.committer) return [await this.committer.submit(rows[0] as InsertRow)];
    if (rows.length <= MAX_STATEMENT_ROWS) return this.insertRows(this.db, rows);
    // Larger sets go in one transaction so that a failure part-way writes nothing.
    return this.db.transaction(async (t) => {
      const out: (Inserted | null)[] = [];
      for (let i = 0; i < rows.length; i += MAX_STATEMENT_ROWS) {
        out.push(...(await this.insertRows(t, rows.slice(i, i + MAX_STATEMENT_ROWS))));
      }
      return out;
    });
  }

  /** Validates one spec and builds its row; `types` caches job types resolved earlier in the same call. */
  private async prepare(spec: EnqueueSpec, types: Map<string, ResolvedJobType | null>): Promise<InsertRow> {
    if (!spec || typeof spec !== 'object' || typeof spec.type !== 'string' || spec.type.length === 0) {
      throw new InvalidOptionError('Each job needs a "type": the name of a job type.');
    }
    let resolved = types.get(spec.type);
    if (resolved === undefined) {
      resolved = await this.catalog.resolve(spec.type);
      types.set(spec.type, resolved);
    }
    if (!resolved) throw new UnknownJobTypeError(spec.type);
    const options = spec.options === undefined ? NO_OPTIONS : parseEnqueueOptions(spec.options);
    const payload = spec.payload === undefined ? null : spec.payload;
    const issues = resolved.validate(payload);
    if (issues) throw new PayloadValidationError(spec.type, issues);
    const info = resolved.info;
    const runAt = options.runAt ?? (options.delay ? new Date(Date.now() + options.delay) : null);
    return {
      id: uuidv7(),
      type: spec.type,
      queue: options.queue ?? info.queue,
      payload,
      priority: options.priority ?? info.priority,
      run_at: runAt ? runAt.toISOString() : null,
      max_attempts: options.maxAttempts ?? info.maxAttempts,
      backoff: options.backoff ? backoffSchema.parse(options.backoff) : info.backoff,
      timeout_ms: options.timeout ?? info.timeoutMs,
      idempotency_key: options.idempotencyKey ?? null,
      owner_id: options.ownerId ?? null,
      batch_id: options.batchId ?? null,
      schedule_id: options.scheduleId ?? null,
      metadata: options.metadata ?? null,
      // Present on every row, so that all rows share one shape.
      lease_token: undefined,
      worker_id: undefined,
      lease_ms: undefined,
    };
  }

  private async insertRows(db: Queryable, rows: InsertRow[]): Promise<(Inserted | null)[]> {
    // Rows that carry an in-process worker's lease need the statement that may start them.
    const start = rows.some((r) => r.lease_token !== undefined);
    const { rows: out } = await queryPrepared<Inserted>(
      db,
      start ? `jf_enqueue_start_${this.schema}` : `jf_enqueue_${this.schema}`,
      start ? this.enqueueAndStartSql : this.enqueueSql,
      [JSON.stringify(rows), this.channels.wake],
    );
    if (out.some((r) => r.status === 'QUEUED')) this.events?.requestWake();
    const byId = new Map(out.map((r) => [r.id, r]));
    const inserted = rows.map((r) => byId.get(r.id) ?? null);
    if (start) await this.startAndFlush(db, rows, inserted);
    return inserted;
  }

  /**
   * After an insert that committed without waiting for its WAL flush (enqueueAndStartJobsSql): announces
   * the batch's new jobs, starts those it inserted RUNNING, frees the other slots, and waits for the
   * flush before the batch is answered. A crash in between may forget a job that has started; its
   * enqueue then fails, as any enqueue whose answer is lost (docs/reliability.md). The worker holds its
   * outcome writes until the flush is done: an instant job's outcome would otherwise want the disk at
   * the same moment, and the enqueue's answer would wait for both.
   */
  private async startAndFlush(db: Queryable, rows: InsertRow[], inserted: (Inserted | null)[]): Promise<void> {
    if (inserted.every((i) => i === null)) {
      // Only duplicates: nothing of this batch to flush (materialize flushes before telling of the jobs found).
      for (const r of rows) this.reservations.get(r)?.cancel();
      return;
    }
    // The flush also counts the jobs: should the pool have reconnected to another server in between (a
    // failover), a flush there would succeed without them.
    const ids = inserted.filter((i): i is Inserted => i !== null).map((i) => i.id);
    const flushed = this.flushAndCount(db, ids);
    // Awaited below; marked handled now in case something throws before that.
    flushed.catch(() => {});
    // QUEUED first (metrics count enqueues by it): the jobs are visible, and woken workers may claim
    // the ones not started here before the flush is done.
    const fresh: OutcomeRow[] = [];
    rows.forEach((r, i) => {
      const ins = inserted[i];
      if (!ins) return;
      fresh.push(submittedOutcome(r, ins));
      this.announced.add(r);
    });
    if (fresh.length) this.events?.publish(stateEvents(fresh));
    rows.forEach((r, i) => {
      const reservation = this.reservations.get(r);
      const ins = inserted[i];
      if (reservation && ins?.status === 'RUNNING') reservation.start(startedRow(r, ins), flushed);
      else reservation?.cancel();
    });
    let found: number;
    try {
      found = await flushed;
    } catch (err) {
      found = await this.confirmDurable(db, ids, err);
    }
    if (found !== ids.length) throw new JobsLostError(ids.length - found, ids.length);
  }

  private async flushAndCount(db: Queryable, ids: string[]): Promise<number> {
    const { rows } = await db.query<{ found: number }>(this.confirmSql, [ids]);
    return rows[0]?.found ?? 0;
  }

  /**
   * The flush failed (its connection was lost, say): tries again, on another connection, a few times.
   * Returns how many of the jobs the flush found; the first error if it never got through.
   */
  private async confirmDurable(db: Queryable, ids: string[], cause: unknown): Promise<number> {
    for (const delayMs of CONFIRM_RETRY_MS) {
      await new Promise((r) => setTimeout(r, delayMs));
      try {
        return await this.flushAndCount(db, ids);
      } catch {
        // Still away: try again.
      }
    }
    throw cause;
  }

  /** Builds jobs from what was inserted; reads the existing job for each idempotency hit. */
  private async materialize(rows: InsertRow[], inserted: (Inserted | null)[], db: Queryable): Promise<EnqueuedJob[]> {
    const missing = rows.filter((_, i) => !inserted[i]);
    const existing = new Map<string, Job>();
    if (missing.length) {
      const keys = missing.map((r) => ({ owner_id: r.owner_id, idempotency_key: r.idempotency_key }));
      const { rows: found } = await db.query<JobRow>(
        findByIdempotencySql(this.schema, 'j.' + JOB_COLUMNS.replace(/,\s*/g, ', j.')),
        [JSON.stringify(keys)],
      );
      for (const f of found) existing.set(`${f.owner_id}\u0000${f.idempotency_key}`, jobFromRow(f));
      // The job found may be a direct start whose commit is not yet on disk (startAndFlush); the caller is
      // about to be told it exists. (Inside a caller's transaction the message makes its commit flush.)
      await db.query(flushWalSql);
    }
    return rows.map((r, i) => {
      const ins = inserted[i];
      if (!ins) {
        const job = existing.get(`${r.owner_id}\u0000${r.idempotency_key}`);
        if (!job) throw new Error(`Job with idempotency key "${r.idempotency_key}" vanished while enqueueing; try again.`);
        return { ...job, deduplicated: true };
      }
      // A fresh insert: the rest of the job is known without reading it back.
      const started = ins.status === 'RUNNING';
      const job = jobFromParts(r, {
        status: ins.status,
        run_at: ins.run_at,
        attempts: started ? 1 : 0,
        result: null,
        error: null,
        errors: [],
        progress: null,
        progress_message: null,
        logs: [],
        worker_id: started ? (r.worker_id ?? null) : null,
        cancel_requested: false,
        created_at: ins.created_at,
        updated_at: ins.created_at,
        started_at: started ? (ins.started_at ?? null) : null,
        finished_at: null,
      });
      return Object.assign(job, { deduplicated: false });
    });
  }

  async get(id: string, scope: Scope = {}): Promise<Job | null> {
    if (!UUID.test(id)) return null;
    const { rows } = await this.db.query<JobRow>(q.getJobSql(this.schema, JOB_COLUMNS), [id, scope.ownerId ?? null]);
    return rows[0] ? jobFromRow(rows[0]) : null;
  }

  async list(filter: ListJobsFilter = {}, scope: Scope = {}): Promise<JobPage> {
    const limit = filter.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new InvalidOptionError('limit must be an integer from 1 to 500.');
    const statuses = filter.status === undefined ? null : Array.isArray(filter.status) ? filter.status : [filter.status];
    for (const s of statuses ?? []) {
      if (!JOB_STATUSES.includes(s))
        throw new InvalidOptionError(`Unknown status "${s}"; use one of ${JOB_STATUSES.join(', ')}.`);
    }
    if (filter.cursor !== undefined && !UUID.test(filter.cursor))
      throw new InvalidOptionError('cursor is not valid: pass the nextCursor of the previous page.');
    for (const [k, v] of [
      ['batchId', filter.batchId],
      ['scheduleId', filter.scheduleId],
    ] as const) {
      if (v !== undefined && !UUID.test(v)) throw new InvalidOptionError(`${k} must be a UUID.`);
    }
    for (const [k, v] of [
      ['createdAfter', filter.createdAfter],
      ['createdBefore', filter.createdBefore],
    ] as const) {
      if (v !== undefined && (!(v instanceof Date) || Number.isNaN(v.getTime())))
        throw new InvalidOptionError(`${k} must be a valid date.`);
    }
    if (scope.ownerId && filter.ownerId && filter.ownerId !== scope.ownerId) return { jobs: [], nextCursor: null };
    const { sql, params } = q.listJobsSql(this.schema, JOB_COLUMNS, {
      statuses,
      type: filter.type ?? null,
      queue: filter.queue ?? null,
      ownerId: scope.ownerId ?? filter.ownerId ?? null,
      batchId: filter.batchId ?? null,
      scheduleId: filter.scheduleId ?? null,
      createdAfter: filter.createdAfter ?? null,
      createdBefore: filter.createdBefore ?? null,
      cursor: filter.cursor ?? null,
      limit: limit + 1,
    });
    const { rows } = await this.db.query<JobRow>(sql, params);
    const jobs = rows.slice(0, limit).map(jobFromRow);
    return { jobs, nextCursor: rows.length > limit ? (jobs[jobs.length - 1]?.id ?? null) : null };
  }

  /** Cancels a waiting job at once; asks a running job's worker to abort it (it ends CANCELLED). */
  async cancel(id: string, scope: Scope = {}): Promise<Job> {
    const job = await this.mutate(id, scope, q.cancelJobSql(this.schema, JOB_COLUMNS), 'cancelled');
    if (job.status === 'RUNNING') {
      this.events?.requestCancel(id);
      await this.db.query(`SELECT pg_notify($1, $2)`, [this.channels.cancel, id]).catch(() => {});
    }
    return job;
  }

  /**
   * Runs a FAILED job now, or replays a DEAD or CANCELLED one with a fresh set of attempts.
   */
  async retry(id: string, scope: Scope = {}): Promise<Job> {
    const job = await this.mutate(id, scope, q.retryJobSql(this.schema, JOB_COLUMNS), 'retried');
    this.events?.requestWake();
    await this.db.query(`SELECT pg_notify($1, $2)`, [this.channels.wake, job.queue]).catch(() => {});
    return job;
  }

  /** Replays dead letters: given ids, or all matching type/queue (all of them with an empty filter). */
  async replayDead(filter: ReplayFilter = {}, scope: Scope = {}): Promise<{ replayed: number; ids: string[] }> {
    if (filter.ids && (!Array.isArray(filter.ids) || filter.ids.some((i) => typeof i !== 'string' || !UUID.test(i)))) {
      throw new InvalidOptionError('ids must be an array of job UUIDs.');
    }
    const { rows } = await this.db.query<OutcomeRow>(q.replayDeadSql(this.schema), [
      filter.ids ?? null,
      filter.type ?? null,
      filter.queue ?? null,
      scope.ownerId ?? null,
    ]);
    if (rows.length) {
      this.events?.publish(stateEvents(rows));
      this.events?.requestWake();
      await this.db.query(`SELECT pg_notify($1, '')`, [this.channels.wake]).catch(() => {});
    }
    return { replayed: rows.length, ids: rows.map((r) => r.id) };
  }

  /** Deletes a job that is not running (cancel a running one first). */
  async delete(id: string, scope: Scope = {}): Promise<Job> {
    if (!UUID.test(id)) throw new JobNotFoundError(id);
    const { rows } = await this.db.query<JobRow>(q.deleteJobSql(this.schema, JOB_COLUMNS), [id, scope.ownerId ?? null]);
    if (rows[0]) return jobFromRow(rows[0]);
    const job = await this.get(id, scope);
    if (!job) throw new JobNotFoundError(id);
    throw new InvalidStateError(id, job.status, 'deleted while it runs (cancel it first)');
  }

  private async mutate(id: string, scope: Scope, sql: string, action: string): Promise<Job> {
    if (!UUID.test(id)) throw new JobNotFoundError(id);
    const { rows } = await this.db.query<JobRow>(sql, [id, scope.ownerId ?? null]);
    if (rows[0]) {
      const job = jobFromRow(rows[0]);
      this.events?.publish(stateEvents([toOutcome(job)]));
      return job;
    }
    const job = await this.get(id, scope);
    if (!job) throw new JobNotFoundError(id);
    throw new InvalidStateError(id, job.status, action);
  }

  /** Every known queue with its job counts by state and whether it is paused. */
  async queues(): Promise<QueueInfo[]> {
    const { rows } = await this.db.query<{ queue: string; status: JobStatus; n: number }>(q.queueCountsSql(this.schema));
    const { rows: meta } = await this.db.query<{ name: string; paused: boolean }>(
      `SELECT name, paused FROM ${this.schema}.queues UNION SELECT DISTINCT queue, false FROM ${this.schema}.job_types
       WHERE queue NOT IN (SELECT name FROM ${this.schema}.queues)`,
    );
    const out = new Map<string, QueueInfo>();
    const ensure = (name: string) => {
      let info = out.get(name);
      if (!info) {
        info = { name, paused: false, counts: Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number> };
        out.set(name, info);
      }
      return info;
    };
    for (const m of meta) ensure(m.name).paused = m.paused;
    for (const r of rows) ensure(r.queue).counts[r.status] = r.n;
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async pauseQueue(name: string): Promise<void> {
    await this.setPaused(name, true);
  }

  async resumeQueue(name: string): Promise<void> {
    await this.setPaused(name, false);
    this.events?.requestWake();
    await this.db.query(`SELECT pg_notify($1, $2)`, [this.channels.wake, name]).catch(() => {});
  }

  private async setPaused(name: string, paused: boolean): Promise<void> {
    if (!queueNameSchema.safeParse(name).success) throw new InvalidOptionError(`"${name}" is not a valid queue name.`);
    await this.db.query(
      `INSERT INTO ${this.schema}.queues (name, paused) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET paused = EXCLUDED.paused, updated_at = now()`,
      [name, paused],
    );
  }

  /** Job types registered here and published by workers, with how many live workers serve each. */
  jobTypes(): Promise<JobTypeInfo[]> {
    return this.catalog.list();
  }
}

function toOutcome(j: Job): OutcomeRow {
  return { id: j.id, type: j.type, queue: j.queue, status: j.status, owner_id: j.ownerId, attempts: j.attempts };
}

/** The state event of a job's submission; one that started at once was QUEUED for the length of its insert. */
function submittedOutcome(r: InsertRow, ins: Inserted): OutcomeRow {
  const status = ins.status === 'RUNNING' ? 'QUEUED' : ins.status;
  return { id: r.id, type: r.type, queue: r.queue, status, owner_id: r.owner_id, attempts: 0 };
}

/** The row a claim would have returned for a job inserted RUNNING under an in-process worker's lease. */
function startedRow(r: InsertRow, ins: Inserted): ClaimedRow {
  return {
    id: r.id,
    type: r.type,
    queue: r.queue,
    payload: ins.stored_payload,
    priority: r.priority,
    run_at: ins.run_at,
    attempts: 1,
    max_attempts: r.max_attempts,
    backoff: r.backoff,
    timeout_ms: r.timeout_ms,
    idempotency_key: r.idempotency_key,
    owner_id: r.owner_id,
    batch_id: r.batch_id,
    schedule_id: r.schedule_id,
    metadata: r.metadata,
    errors: [],
    logs: [],
    created_at: ins.created_at,
  };
}
