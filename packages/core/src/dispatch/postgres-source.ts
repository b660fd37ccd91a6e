import { randomUUID } from 'node:crypto';
import { queryPrepared, type Database, type Unlisten } from '../db/database.ts';
import { channels } from '../db/identifiers.ts';
import type { JobEventBus } from '../events.ts';
import { CLAIM_COLUMNS, type ClaimedRow } from '../job.ts';
import { claimJobsSql } from '../sql/claim-jobs.ts';
import type { JobSource, JobSourceHost } from './job-source.ts';

const MAX_CLAIM = 1000;

export interface PostgresSourceOptions {
  db: Database;
  schema: string;
  events?: JobEventBus;
  /** Use LISTEN/NOTIFY to wake at once (default true); polling covers everything without it. */
  listen?: boolean;
  /** Fallback poll in ms (default 1000). */
  pollIntervalMs?: number;
}

/** The default dispatch: claim ready jobs from PostgreSQL in batches, woken by NOTIFY and a poll. */
export class PostgresSource implements JobSource {
  readonly kind = 'postgres' as const;
  private host: JobSourceHost | null = null;
  private readonly claimSql: string;
  private readonly statement: string;
  private claiming: Promise<void> | null = null;
  /** The last claim found fewer jobs than asked: wait for a wake-up or a poll before claiming again. */
  private dry = false;
  private stopped = false;
  /** Counts wake-ups, so a claim can tell whether one arrived while it was in flight. */
  private wakes = 0;
  private claimFailures = 0;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly unlisteners: (Unlisten | (() => void))[] = [];

  constructor(private readonly opts: PostgresSourceOptions) {
    this.claimSql = claimJobsSql(opts.schema, CLAIM_COLUMNS);
    this.statement = `jf_claim_${opts.schema}`;
  }

  async start(host: JobSourceHost): Promise<void> {
    this.host = host;
    if (this.opts.events) this.unlisteners.push(this.opts.events.onWake(() => this.wake()));
    if (this.opts.listen ?? true) {
      try {
        this.unlisteners.push(
          await this.opts.db.listen(channels(this.opts.schema).wake, (queue) => {
            if (!queue || host.queues.includes(queue)) this.wake();
          }),
        );
      } catch (err) {
        host.onError(err as Error, 'listening for notifications (polling continues)');
      }
    }
    this.pollTimer = setInterval(() => this.wake(), this.opts.pollIntervalMs ?? 1000);
    this.fill();
  }

  wake(): void {
    this.wakes++;
    this.dry = false;
    this.fill();
  }

  poke(): void {
    this.fill();
  }

  done(): void {}

  private fill(): void {
    const host = this.host;
    if (!host || this.stopped || this.claiming || this.dry || !host.wantsMore()) return;
    const want = Math.min(MAX_CLAIM, host.room());
    if (want <= 0) return;
    const run = this.claim(host, want);
    this.claiming = run;
    void run.finally(() => {
      if (this.claiming === run) this.claiming = null;
      this.fill();
    });
  }

  private async claim(host: JobSourceHost, want: number): Promise<void> {
    const token = randomUUID();
    const wakesBefore = this.wakes;
    try {
      const { rows } = await queryPrepared<ClaimedRow>(this.opts.db, this.statement, this.claimSql, [
        host.queues,
        host.types,
        want,
        token,
        host.leaseMs,
        host.workerId,
      ]);
      this.claimFailures = 0;
      // A short claim means the queue looked empty, unless a wake-up came in while it ran:
      // that job may have been committed after the claim's snapshot, so claim again at once.
      if (rows.length < want && this.wakes === wakesBefore) this.dry = true;
      if (rows.length) host.accept(rows, token);
    } catch (err) {
      this.claimFailures++;
      this.dry = true;
      host.onError(err as Error, 'claiming jobs');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.claiming;
  }

  async close(): Promise<void> {
    for (const u of this.unlisteners.splice(0)) await u();
  }

  stats(): Record<string, unknown> {
    return { claiming: this.claiming !== null, dry: this.dry, claimFailures: this.claimFailures };
  }
}
