import type { Database } from '../db/database.ts';
import type { JobEventBus } from '../events.ts';
import { analyzeJobsIfDue } from './analyzer.ts';
import { cleanFinishedJobs, DEFAULT_RETENTION, type RetentionPolicy } from './cleaner.ts';
import { MaintenanceLoop } from './loop.ts';
import { promoteDueJobs } from './promoter.ts';
import { rescueExpiredJobs } from './rescuer.ts';
import { vacuumJobsIfDue } from './vacuumer.ts';

export interface MaintenanceOptions {
  db: Database;
  schema: string;
  events?: JobEventBus;
  /** How often expired leases are looked for (default 2000 ms). */
  rescueIntervalMs?: number;
  /** How often due delayed jobs are promoted (default 1000 ms). */
  promoteIntervalMs?: number;
  /** How often finished jobs past retention are deleted (default 60000 ms). */
  cleanIntervalMs?: number;
  /** How often the jobs table's growth is checked for a fresh ANALYZE (default 5000 ms). */
  analyzeIntervalMs?: number;
  /** How often the jobs table's dead rows are counted for a VACUUM (default 5000 ms). */
  vacuumIntervalMs?: number;
  retention?: Partial<RetentionPolicy>;
  onError?: (err: Error, context: string) => void;
}

/** The small independent duties that keep the queue healthy; safe to run in many processes at once. */
export class Maintenance {
  readonly rescuer: MaintenanceLoop;
  readonly promoter: MaintenanceLoop;
  readonly cleaner: MaintenanceLoop;
  readonly analyzer: MaintenanceLoop;
  readonly vacuumer: MaintenanceLoop;

  constructor(opts: MaintenanceOptions) {
    const onError = opts.onError ?? (() => {});
    const retention = { ...DEFAULT_RETENTION, ...opts.retention };
    this.rescuer = new MaintenanceLoop(
      'rescuer',
      opts.rescueIntervalMs ?? 2000,
      () => rescueExpiredJobs(opts.db, opts.schema, opts.events),
      onError,
    );
    this.promoter = new MaintenanceLoop(
      'promoter',
      opts.promoteIntervalMs ?? 1000,
      () => promoteDueJobs(opts.db, opts.schema, opts.events),
      onError,
    );
    this.cleaner = new MaintenanceLoop(
      'cleaner',
      opts.cleanIntervalMs ?? 60_000,
      () => cleanFinishedJobs(opts.db, opts.schema, retention),
      onError,
    );
    this.analyzer = new MaintenanceLoop(
      'analyzer',
      opts.analyzeIntervalMs ?? 5000,
      () => analyzeJobsIfDue(opts.db, opts.schema),
      onError,
    );
    this.vacuumer = new MaintenanceLoop(
      'vacuumer',
      opts.vacuumIntervalMs ?? 5000,
      () => vacuumJobsIfDue(opts.db, opts.schema),
      onError,
    );
  }

  start(): void {
    this.rescuer.start();
    this.promoter.start();
    this.cleaner.start();
    this.analyzer.start();
    this.vacuumer.start();
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.rescuer.stop(),
      this.promoter.stop(),
      this.cleaner.stop(),
      this.analyzer.stop(),
      this.vacuumer.stop(),
    ]);
  }
}
