import type { EnqueuedJob, JobfleetClient, Scope } from '../client.ts';
import type { Queryable } from '../db/database.ts';
import { UnknownJobTypeError } from '../errors.ts';
import { stateEvents, type JobEventBus } from '../events.ts';
import { MaintenanceLoop } from '../maintenance/loop.ts';
import type { ScheduleStamp } from './built-in-tick.ts';
import { nextRun, recentRuns } from './cron.ts';
import { ScheduleNotFoundError } from './errors.ts';
import { isUuid, SCHEDULE_COLUMNS, scheduleFromRow, type Schedule, type ScheduleRow } from './schedule-store.ts';

export interface SchedulerOptions {
  /** How often due schedules are looked for (default 250 ms). */
  intervalMs?: number;
  /** Schedules claimed per transaction (default 50, 10 on PGlite); a tick loops until none is due. */
  batchSize?: number;
  /**
   * A fire time older than this when the scheduler gets to it counts as missed, and the schedule's
   * missed-run policy decides (default 10 000 ms). Younger fire times always fire.
   */
  missedAfterMs?: number;
  /** A schedule that failed to fire (unknown job type …) is retried after this long (default 10 000 ms). */
  errorRetryMs?: number;
  /** Fire records older than this are pruned (default one day). */
  fireRetentionMs?: number;
  onError?: (err: Error, context: string) => void;
}

/** What the scheduler needs of an engine handle: a Jobfleet fits. */
export interface SchedulerHost {
  client: JobfleetClient;
  events?: JobEventBus;
}

export interface TickResult {
  /** Schedules processed. */
  schedules: number;
  /** Jobs enqueued. */
  enqueued: number;
  /** Fire times not fired because a previous job was unfinished (overlap: skip). */
  skippedOverlap: number;
  /** Fire times dropped by the missed-run policy (counted up to maxCatchUp + 1 per schedule). */
  skippedMissed: number;
  /** Schedules that failed to fire (recorded in last_error, retried later). */
  failed: number;
}

const OPEN_STATUSES = `('SCHEDULED','QUEUED','RUNNING','FAILED')`;
const PRUNE_EVERY_MS = 60_000;

/**
 * The firing loop. Safe to run in many processes at once: each tick claims due schedules with
 * FOR UPDATE SKIP LOCKED and, in the same transaction, records each fire time (primary key
 * (schedule_id, fire_at)), enqueues its job, and moves next_run past now. Time is the database's
 * clock (now()), so processes on machines with skewed clocks agree.
 *
 * Stop it before closing the Jobfleet handle it uses.
 */
export class Scheduler {
  readonly loop: MaintenanceLoop;
  private readonly client: JobfleetClient;
  private readonly events: JobEventBus | undefined;
  private readonly schema: string;
  private readonly batchSize: number;
  private readonly missedAfterMs: number;
  private readonly errorRetryMs: number;
  private readonly fireRetentionMs: number;
  private readonly onError: (err: Error, context: string) => void;
  private lastPrune = 0;

  constructor(host: SchedulerHost, opts: SchedulerOptions = {}) {
    this.client = host.client;
    this.events = host.events;
    this.schema = host.client.schema;
    this.batchSize = opts.batchSize ?? (host.client.db.kind === 'pglite' ? 10 : 50);
    this.missedAfterMs = opts.missedAfterMs ?? 10_000;
    this.errorRetryMs = opts.errorRetryMs ?? 10_000;
    this.fireRetentionMs = opts.fireRetentionMs ?? 86_400_000;
    this.onError = opts.onError ?? (() => {});
    this.loop = new MaintenanceLoop('scheduler', opts.intervalMs ?? 250, () => this.tick(), this.onError);
  }

  start(): void {
    this.loop.start();
  }

  /** Stops the loop and waits for a tick in progress. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Fires everything due now; loops while full batches come back. Tests call it directly. */
  async tick(): Promise<TickResult> {
    const total: TickResult = { schedules: 0, enqueued: 0, skippedOverlap: 0, skippedMissed: 0, failed: 0 };
    for (;;) {
      const r = await this.tickBatch();
      total.schedules += r.schedules;
      total.enqueued += r.enqueued;
      total.skippedOverlap += r.skippedOverlap;
      total.skippedMissed += r.skippedMissed;
      total.failed += r.failed;
      if (r.schedules - r.failed < this.batchSize) break;
    }
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await this.client.db.query(
        `DELETE FROM ${this.schema}.schedule_fires WHERE created_at < now() - $1 * interval '1 millisecond'`,
        [this.fireRetentionMs],
      );
    }
    return total;
  }

  private async tickBatch(): Promise<TickResult> {
    const result: TickResult = { schedules: 0, enqueued: 0, skippedOverlap: 0, skippedMissed: 0, failed: 0 };
    const fresh: EnqueuedJob[] = [];
    const errors: [Error, string][] = [];
    // A cheap look first: most ticks find nothing due and open no transaction. The job types of
    // what is due are resolved now, with a fresh catalog, so that enqueueing inside the transaction
    // does not need to query the job type catalog (PGlite has one connection, held by the transaction).
    const { rows: due } = await this.client.db.query<{ job_type: string }>(
      `SELECT DISTINCT job_type FROM ${this.schema}.schedules
       WHERE is_active AND next_run <= now()
         AND (last_error_at IS NULL OR last_error_at <= now() - $1 * interval '1 millisecond')`,
      [this.errorRetryMs],
    );
    if (due.length === 0) return result;
    this.client.catalog.invalidate();
    const known = new Map<string, boolean>();
    for (const { job_type } of due) known.set(job_type, (await this.client.catalog.resolve(job_type)) !== null);
    await this.client.db.transaction(async (tx) => {
      const { rows } = await tx.query<ScheduleRow & { db_now: Date | string }>(
        `SELECT ${SCHEDULE_COLUMNS}, now() AS db_now FROM ${this.schema}.schedules
         WHERE is_active AND next_run <= now()
           AND (last_error_at IS NULL OR last_error_at <= now() - $2 * interval '1 millisecond')
         ORDER BY next_run LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batchSize, this.errorRetryMs],
      );
      for (const row of rows) {
        // Became due after the look above: its job type is not resolved yet, so it waits for the next tick.
        if (!known.has(row.job_type)) continue;
        result.schedules++;
        const schedule = scheduleFromRow(row);
        const now = new Date(row.db_now);
        await tx.query('SAVEPOINT jobfleet_schedule');
        try {
          // Checked here: asking the catalog about an unknown name inside the transaction would query the database.
          if (!known.get(row.job_type)) throw new UnknownJobTypeError(row.job_type);
          const r = await this.fire(tx, schedule, now);
          await tx.query('RELEASE SAVEPOINT jobfleet_schedule');
          result.enqueued += r.jobs.length;
          result.skippedOverlap += r.skippedOverlap;
          result.skippedMissed += r.skippedMissed;
          fresh.push(...r.jobs);
        } catch (err) {
          await tx.query('ROLLBACK TO SAVEPOINT jobfleet_schedule');
          result.failed++;
          const message = (err as Error).message ?? String(err);
          await tx.query(`UPDATE ${this.schema}.schedules SET last_error = $2, last_error_at = now() WHERE id = $1`, [
            schedule.id,
            message,
          ]);
          errors.push([err as Error, `schedule "${schedule.name}" (${schedule.id})`]);
        }
      }
    });
    for (const [e, ctx] of errors) this.onError(e, ctx);
    this.publish(fresh);
    return result;
  }

  /** Fires the due fire times of one locked schedule by its policies and advances its timetable. */
  private async fire(
    tx: Queryable,
    s: Schedule,
    now: Date,
  ): Promise<{ jobs: EnqueuedJob[]; skippedOverlap: number; skippedMissed: number }> {
    const from = s.nextRun as Date;
    const { fireTimes, skippedMissed } = dueFireTimes(s, from, now, this.missedAfterMs);
    const jobs: EnqueuedJob[] = [];
    let skippedOverlap = 0;
    let lastFired: Date | null = null;
    for (const at of fireTimes) {
      const overlapped = s.overlap === 'skip' && (await hasUnfinishedJob(tx, this.schema, s.id));
      const { rows } = await tx.query(
        `INSERT INTO ${this.schema}.schedule_fires (schedule_id, fire_at, outcome) VALUES ($1, $2, $3)
         ON CONFLICT (schedule_id, fire_at) DO NOTHING RETURNING fire_at`,
        [s.id, at.toISOString(), overlapped ? 'skipped_overlap' : 'enqueued'],
      );
      if (rows.length === 0) continue; // this fire time already has its job
      if (overlapped) {
        skippedOverlap++;
        continue;
      }
      const job = await enqueueFor(this.client, tx, s, at, 'cron');
      await tx.query(`UPDATE ${this.schema}.schedule_fires SET job_id = $3 WHERE schedule_id = $1 AND fire_at = $2`, [
        s.id,
        at.toISOString(),
        job.id,
      ]);
      jobs.push(job);
      lastFired = at;
    }
    const next = nextRun(s.cron, s.timezone, now);
    await tx.query(
      `UPDATE ${this.schema}.schedules SET next_run = $2, last_run = GREATEST(last_run, $3::timestamptz),
         last_error = NULL, last_error_at = NULL WHERE id = $1`,
      [s.id, next?.toISOString() ?? null, lastFired?.toISOString() ?? null],
    );
    return { jobs, skippedOverlap, skippedMissed };
  }

  private publish(jobs: EnqueuedJob[]): void {
    const fresh = jobs.filter((j) => !j.deduplicated);
    if (!this.events || fresh.length === 0) return;
    this.events.publish(
      stateEvents(
        fresh.map((j) => ({ id: j.id, type: j.type, queue: j.queue, status: j.status, owner_id: j.ownerId, attempts: 0 })),
      ),
    );
  }

  /** Fires a schedule now, outside its timetable (next_run is left alone). See triggerSchedule. */
  trigger(id: string, scope: Scope = {}): Promise<EnqueuedJob> {
    return triggerSchedule(this.client, id, scope);
  }
}

/**
 * The fire times to fire now for a schedule whose next_run (`from`) has come, by its missed-run policy.
 * Fire times within `missedAfterMs` of now are on time and always fire; older ones were missed:
 * `skip` drops them, `once` fires only the latest of them, `all` fires each (the latest maxCatchUp).
 * Ascending order.
 */
export function dueFireTimes(
  s: Pick<Schedule, 'cron' | 'timezone' | 'missedRuns' | 'maxCatchUp'>,
  from: Date,
  now: Date,
  missedAfterMs: number,
): { fireTimes: Date[]; skippedMissed: number } {
  const missedBefore = new Date(now.getTime() - missedAfterMs);
  // Fire times are at least a second apart, so the on-time window holds at most this many.
  const onTimeCap = Math.ceil(missedAfterMs / 1000) + 2;
  const onTime = recentRuns(s.cron, s.timezone, new Date(Math.max(from.getTime(), missedBefore.getTime() + 1)), now, onTimeCap);
  let missed: Date[] = [];
  let skippedMissed = 0;
  if (from.getTime() <= missedBefore.getTime()) {
    // One more than could be fired tells whether anything is left out; counts stop at maxCatchUp + 1
    // (exact counts of long outages are not worth computing).
    const candidates = recentRuns(s.cron, s.timezone, from, missedBefore, s.maxCatchUp + 1);
    const fire = s.missedRuns === 'all' ? s.maxCatchUp : s.missedRuns === 'once' ? 1 : 0;
    missed = candidates.slice(0, fire);
    skippedMissed = candidates.length - missed.length;
  }
  const fireTimes = [...missed, ...onTime].sort((a, b) => a.getTime() - b.getTime());
  return { fireTimes, skippedMissed };
}

async function hasUnfinishedJob(db: Queryable, schema: string, scheduleId: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM ${schema}.jobs WHERE schedule_id = $1 AND status IN ${OPEN_STATUSES} LIMIT 1`, [
    scheduleId,
  ]);
  return rows.length > 0;
}

/** Enqueues the schedule's job inside tx, owned by the schedule's owner and stamped with the fire time. */
async function enqueueFor(
  client: JobfleetClient,
  tx: Queryable | null,
  s: Schedule,
  at: Date,
  trigger: 'cron' | 'manual',
): Promise<EnqueuedJob> {
  const stamp: ScheduleStamp = { id: s.id, name: s.name, fireAt: at.toISOString(), trigger };
  const { metadata, ...options } = s.options;
  return client.enqueue(
    s.jobType,
    s.payload,
    {
      ...options,
      scheduleId: s.id,
      ...(s.ownerId ? { ownerId: s.ownerId } : {}),
      metadata: { ...(metadata ?? {}), schedule: stamp },
    },
    tx ? { tx } : {},
  );
}

/**
 * Fires a schedule now ("run now"), active or not, without touching next_run: one job stamped
 * trigger 'manual', and last_run set to now. The overlap policy does not apply to a manual trigger.
 * No transaction: enqueueing validates against the job type catalog, which may query the database,
 * and PGlite has a single connection.
 */
export async function triggerSchedule(client: JobfleetClient, id: string, scope: Scope = {}): Promise<EnqueuedJob> {
  if (!isUuid(id)) throw new ScheduleNotFoundError(id);
  const { rows: found } = await client.db.query<ScheduleRow & { db_now: Date | string }>(
    `SELECT ${SCHEDULE_COLUMNS}, now() AS db_now FROM ${client.schema}.schedules WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2)`,
    [id, scope.ownerId ?? null],
  );
  if (!found[0]) throw new ScheduleNotFoundError(id);
  const schedule = scheduleFromRow(found[0]);
  const now = new Date(found[0].db_now);
  // Without tx the client publishes the job's event itself.
  const job = await enqueueFor(client, null, schedule, now, 'manual');
  await client.db.query(`UPDATE ${client.schema}.schedules SET last_run = GREATEST(last_run, $2::timestamptz) WHERE id = $1`, [
    schedule.id,
    now.toISOString(),
  ]);
  return job;
}
