import { queryPrepared, type Database } from '../db/database.ts';
import { stateEvents, type JobEventBus, type OutcomeRow } from '../events.ts';
import { recordOutcomesSql } from '../sql/record-outcomes.ts';

interface Pending {
  id: string;
  token: string;
  json: string;
}

/**
 * Writes attempt outcomes in batches: one statement per flush, one flush in flight at a time.
 * Whatever arrives during a flush rides in the next, so batches grow with load and a lone
 * outcome is written at once. When the database is away it keeps retrying; if leases expire
 * meanwhile the compare-and-set makes the late write a no-op.
 */
export class OutcomeWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private readonly idle: (() => void)[] = [];
  private readonly sql: string;
  private readonly name: string;
  /** The same statement without RETURNING, for flushes whose events nobody would receive. */
  private readonly quietSql: string;

  constructor(
    private readonly db: Database,
    schema: string,
    private readonly events: JobEventBus | undefined,
    private readonly onError: (err: Error) => void,
    /** Called with the ids of each batch once it is committed (whether or not each compare-and-set matched). */
    private readonly onWritten: (ids: string[]) => void = () => {},
    private readonly maxBatch = 1000,
  ) {
    this.sql = recordOutcomesSql(schema);
    this.name = `jf_outcomes_${schema}`;
    this.quietSql = recordOutcomesSql(schema, false);
  }

  record(id: string, token: string, json: string): void {
    this.queue.push({ id, token, json });
    if (!this.flushing) this.flushing = this.run();
  }

  /** Jobs whose outcome is not yet written: their leases must still be renewed. */
  pending(): { id: string; token: string }[] {
    return this.queue;
  }

  get size(): number {
    return this.queue.length;
  }

  /** Resolves once everything recorded so far is written. */
  drain(): Promise<void> {
    if (!this.flushing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async run(): Promise<void> {
    let delay = 50;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.maxBatch);
      try {
        const param = '[' + batch.map((b) => b.json).join(',') + ']';
        if (this.events?.active) {
          const { rows } = await queryPrepared<OutcomeRow>(this.db, this.name, this.sql, [param]);
          this.events.publish(stateEvents(rows));
        } else {
          await queryPrepared(this.db, `${this.name}_quiet`, this.quietSql, [param]);
        }
        this.queue.splice(0, batch.length);
        delay = 50;
        this.onWritten(batch.map((b) => b.id));
      } catch (err) {
        this.onError(err as Error);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
      }
    }
    this.flushing = null;
    for (const fn of this.idle.splice(0)) fn();
  }
}
