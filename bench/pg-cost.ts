import { PgDatabase } from '@jobfleet/core';
import { cpuMs } from './proc.ts';

/** PostgreSQL's share of the work per job over a measurement window, for one session database. */
export interface PgCost {
  /** Statement execution time (pg_stat_statements total_exec_time) per job, ms; null when unavailable. */
  statementMsPerJob: number | null;
  /** Why statementMsPerJob is null: PostgreSQL's error message. */
  statementNote?: string;
  /** CPU time of this database's backends (from /proc) per job, ms; null when unavailable. */
  backendCpuMsPerJob: number | null;
  backendNote?: string;
}

/**
 * Measures a window: begin() snapshots, end(jobs) diffs. pg_stat_statements is read as a difference
 * of this database's totals (no reset: other databases' statistics stay untouched). It needs the
 * library in shared_preload_libraries, which the benchmark does not change; without it the column
 * says so. Backend CPU comes from /proc and so only works with PostgreSQL on this machine.
 */
export class PgCostProbe {
  private readonly db: PgDatabase;
  private statementMs0: number | null = null;
  private statementNote: string | undefined;
  private cpu0 = new Map<number, number>();

  constructor(databaseUrl: string) {
    this.db = new PgDatabase({ connectionString: databaseUrl, max: 1 });
  }

  async begin(): Promise<void> {
    try {
      await this.db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      this.statementMs0 = await this.statementMs();
    } catch (err) {
      this.statementNote = (err as Error).message;
    }
    this.cpu0 = await this.backendCpu();
  }

  async end(jobs: number): Promise<PgCost> {
    const out: PgCost = { statementMsPerJob: null, backendCpuMsPerJob: null };
    if (this.statementMs0 !== null) {
      try {
        out.statementMsPerJob = ((await this.statementMs()) - this.statementMs0) / jobs;
      } catch (err) {
        out.statementNote = (err as Error).message;
      }
    } else if (this.statementNote) out.statementNote = this.statementNote;
    const cpu1 = await this.backendCpu();
    if (cpu1.size === 0) out.backendNote = 'backend CPU unavailable (no /proc access to the PostgreSQL processes)';
    else {
      // Backends that connected during the window count from zero; ones that left are lost (rare: pools stay open).
      let ms = 0;
      for (const [pid, t] of cpu1) ms += t - (this.cpu0.get(pid) ?? 0);
      out.backendCpuMsPerJob = ms / jobs;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private async statementMs(): Promise<number> {
    const { rows } = await this.db.query<{ ms: number }>(
      `SELECT coalesce(sum(total_exec_time), 0)::float8 AS ms FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return Number(rows[0]?.ms ?? 0);
  }

  /** CPU ms of every backend of this database except the probe's own. */
  private async backendCpu(): Promise<Map<number, number>> {
    const { rows } = await this.db.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    const m = new Map<number, number>();
    for (const { pid } of rows) {
      const ms = cpuMs(pid);
      if (ms !== null) m.set(pid, ms);
    }
    return m;
  }
}
