import { queryPrepared, type Database } from '../db/database.ts';
import { stateEvents, type JobEventBus, type OutcomeRow } from '../events.ts';
import { recordOutcomesSql } from '../sql/record-outcomes.ts';

interface Pending {
  id: string;
  token: string;
  json: string;
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

  record(id: string, token: string, json: string): void {
    this.queue.push({ id, token, json });
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
          const { rows } = await queryPrepared<OutcomeRow>(this.db, this.name, this.sql, [param]);
          this.events.publish(stateEvents(rows));
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
