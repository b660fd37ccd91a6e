import { queryPrepared, type Database } from '../db/database.ts';
import type { StateRow } from '../event-wire.ts';
import type { JobEventBus } from '../events.ts';
import type { Job, JobStatus } from '../job.ts';
import { recordOutcomesSql } from '../sql/record-outcomes.ts';
import type { Outcome } from './outcome.ts';

/** An outcome waiting to be written, and the state change its event announces once it is. */
interface Pending extends StateRow {
  status: Outcome['status'];
  token: string;
  json: string;
}

/** An outcome that did not land as sent: its lease was lost (status null) or the job was cancelled. */
interface Exception {
  id: string;
  status: JobStatus | null;
}

/**
 * Writes attempt outcomes in batches: one statement per flush. Whatever arrives during a flush rides
 * in the next, so batches grow with load and a lone outcome is written at once. A second flush may
 * overlap the first (up to `maxInFlight`) only once `overlapMin` outcomes wait: under a burst that hides
 * one commit's WAL flush behind the next batch's work, while a steady trickle (jobs that take a while,
 * finishing a few at a time) gathers behind the flush in progress instead of going out in statements
 * of a handful of rows: each statement is a transaction with a durable commit, whatever its size.
 * When the database is away it keeps retrying; if leases expire meanwhile the compare-and-set makes the
 * late write a no-op.
 */
export class OutcomeWriter {
  private queue: Pending[] = [];
  /** Batches being written (still pending: their leases must be renewed until they commit). */
  private readonly writing = new Set<Pending[]>();
  private readonly idle: (() => void)[] = [];
  private readonly sql: string;
  private readonly name: string;
  /** The same statement without RETURNING, for flushes whose events nobody would receive. */
  private readonly quietSql: string;
  private scheduled = false;
  /** While set, no batch starts (see holdUntil). */
  private gate: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    schema: string,
    private readonly events: JobEventBus | undefined,
    private readonly onError: (err: Error) => void,
    /** Called with the ids of each batch once it is committed (whether or not each compare-and-set matched). */
    private readonly onWritten: (ids: string[]) => void = () => {},
    private readonly maxBatch = 1000,
    private readonly maxInFlight = 2,
    /** Outcomes that must be waiting before a flush may start while another is still being written. */
    private readonly overlapMin = 100,
  ) {
    this.sql = recordOutcomesSql(schema);
    this.name = `jf_outcomes_${schema}`;
    this.quietSql = recordOutcomesSql(schema, false);
  }

  /** Queues the outcome of one attempt of `job` (`json` from encodeOutcome, which wrote `status` into it). */
  record(
    job: Pick<Job, 'id' | 'type' | 'queue' | 'ownerId' | 'attempts'>,
    token: string,
    json: string,
    status: Outcome['status'],
    release = false,
  ): void {
    this.queue.push({
      id: job.id,
      type: job.type,
      queue: job.queue,
      owner_id: job.ownerId,
      // A released attempt is not counted (the statement takes it back).
      attempts: release ? job.attempts - 1 : job.attempts,
      status,
      token,
      json,
    });
    // Flush after the current turn's work: outcomes recorded in one burst (a claim's worth of short
    // jobs finishes in one turn) share a statement instead of the first going alone.
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.pump();
      });
    }
  }

  /**
   * Starts no write until `settled` settles (either way), or `maxMs` passed. A directly started job's
   * enqueue waits for its WAL flush after the job started (client.ts, startAndFlush); an outcome written
   * meanwhile would want a disk flush of its own at the same moment, and the enqueue's answer would
   * wait for both. The hold is only a speed-up: a flush that hangs must not stop the writer.
   */
  holdUntil(settled: Promise<unknown>, maxMs = 1000): void {
    let timer: NodeJS.Timeout | undefined;
    const capped = Promise.race([settled, new Promise<void>((r) => (timer = setTimeout(r, maxMs)))]);
    const gate: Promise<void> = Promise.allSettled([this.gate, capped]).then(() => {
      clearTimeout(timer);
      if (this.gate !== gate) return;
      this.gate = null;
      this.pump();
    });
    this.gate = gate;
  }

  /** Jobs whose outcome is not yet written: their leases must still be renewed. */
  pending(): { id: string; token: string }[] {
    if (this.writing.size === 0) return this.queue;
    return [...this.writing].flat().concat(this.queue);
  }

  get size(): number {
    let n = this.queue.length;
    for (const b of this.writing) n += b.length;
    return n;
  }

  /** Resolves once everything recorded so far is written. */
  drain(): Promise<void> {
    if (this.writing.size === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (
      !this.gate &&
      this.writing.size < this.maxInFlight &&
      this.queue.length > 0 &&
      (this.writing.size === 0 || this.queue.length >= this.overlapMin)
    ) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.writing.add(batch);
      void this.write(batch).then(() => {
        // Off the books before the callback, which asks how much room the worker has.
        this.writing.delete(batch);
        try {
          this.onWritten(batch.map((b) => b.id));
        } catch (err) {
          // An acknowledgement that cannot be sent (the broker's channel just closed) must not stop the writer.
          this.onError(err as Error);
        }
        this.pump();
        if (this.writing.size === 0 && this.queue.length === 0) for (const fn of this.idle.splice(0)) fn();
      });
    }
  }

  /** Writes one batch, retrying until the database takes it. */
  private async write(batch: Pending[]): Promise<void> {
    const param = '[' + batch.map((b) => b.json).join(',') + ']';
    for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
      try {
        if (this.events?.active) {
          const { rows } = await queryPrepared<Exception>(this.db, this.name, this.sql, [param]);
          this.events.publishStates(rows.length === 0 ? batch : landed(batch, rows));
        } else {
          await queryPrepared(this.db, `${this.name}_quiet`, this.quietSql, [param]);
        }
        return;
      } catch (err) {
        this.onError(err as Error);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

/** The outcomes of a batch as they landed: lost leases left out, cancellations with their status. */
function landed(batch: Pending[], exceptions: Exception[]): Pending[] {
  const changed = new Map(exceptions.map((e) => [e.id, e.status]));
  const out: Pending[] = [];
  for (const p of batch) {
    if (!changed.has(p.id)) out.push(p);
    else {
      const status = changed.get(p.id);
      if (status) out.push({ ...p, status: status as Outcome['status'] });
    }
  }
  return out;
}
