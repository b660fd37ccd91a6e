import type { Database } from './db/database.ts';
import { assertSchemaName, channels, DEFAULT_SCHEMA } from './db/identifiers.ts';
import { coreMigrations, migrate, type Migration } from './db/migrate.ts';
import { openDatabase } from './db/open-database.ts';
import { JobfleetClient } from './client.ts';
import { EventRelay, JobEventBus } from './events.ts';
import type { AnyJobType } from './job-types/define-job.ts';
import { JobTypeRegistry } from './job-types/registry.ts';
import { Maintenance, type MaintenanceOptions } from './maintenance/maintenance.ts';
import { Worker, type WorkerOptions } from './worker/worker.ts';
import { Scheduler, type SchedulerOptions } from './scheduler/scheduler.ts';

export interface JobfleetOptions {
  /** An open database; otherwise one is opened from databaseUrl, or the embedded one. */
  db?: Database;
  databaseUrl?: string;
  /** Embedded database folder (default ./.jobfleet). */
  dataDir?: string;
  /** Embedded, in memory: for tests. */
  memory?: boolean;
  poolSize?: number;
  schema?: string;
  jobTypes?: AnyJobType[];
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /** More migrations to apply after the core's (the server's tables, for instance). */
  migrations?: Migration[];
  /** Carry job events between processes over NOTIFY (default: on with real PostgreSQL). */
  relayEvents?: boolean;
  onError?: (err: Error, context: string) => void;
}

/** One handle on the engine: database, registry, event bus, client, and factories for workers and maintenance. */
export class Jobfleet {
  readonly db: Database;
  readonly schema: string;
  readonly registry: JobTypeRegistry;
  readonly events: JobEventBus;
  readonly client: JobfleetClient;
  readonly channels: ReturnType<typeof channels>;
  private readonly ownsDb: boolean;
  private readonly relay: EventRelay | null;
  private readonly onError: (err: Error, context: string) => void;
  private readonly workers = new Set<Worker>();
  private readonly maintenances = new Set<Maintenance>();
  private readonly schedulers = new Set<Scheduler>();

  private constructor(opts: JobfleetOptions, db: Database, ownsDb: boolean) {
    this.db = db;
    this.ownsDb = ownsDb;
    this.schema = assertSchemaName(opts.schema ?? DEFAULT_SCHEMA);
    this.channels = channels(this.schema);
    this.registry = new JobTypeRegistry(opts.jobTypes ?? []);
    this.events = new JobEventBus();
    this.onError = opts.onError ?? (() => {});
    this.client = new JobfleetClient({ db, schema: this.schema, registry: this.registry, events: this.events });
    const relay = opts.relayEvents ?? db.kind === 'pg';
    this.relay = relay ? new EventRelay(db, this.events, this.channels.events, (e) => this.onError(e, 'relaying events')) : null;
  }

  static async open(opts: JobfleetOptions = {}): Promise<Jobfleet> {
    const ownsDb = !opts.db;
    const db =
      opts.db ??
      (await openDatabase({
        url: opts.databaseUrl,
        dataDir: opts.dataDir,
        memory: opts.memory,
        poolSize: opts.poolSize,
        onError: (e) => opts.onError?.(e, 'database'),
      }));
    const fleet = new Jobfleet(opts, db, ownsDb);
    try {
      if (opts.migrate !== false) {
        await migrate(db, { schema: fleet.schema, migrations: [...coreMigrations(), ...(opts.migrations ?? [])] });
      }
      await fleet.relay?.start();
    } catch (err) {
      if (ownsDb) await db.close().catch(() => {});
      throw err;
    }
    return fleet;
  }

  createWorker(opts: Omit<WorkerOptions, 'db' | 'registry' | 'client' | 'schema' | 'events'> = {}): Worker {
    const worker = new Worker({
      onError: this.onError,
      ...opts,
      db: this.db,
      registry: this.registry,
      client: this.client,
      schema: this.schema,
      events: this.events,
    });
    this.workers.add(worker);
    return worker;
  }

  createMaintenance(opts: Omit<MaintenanceOptions, 'db' | 'schema' | 'events'> = {}): Maintenance {
    const m = new Maintenance({ onError: this.onError, ...opts, db: this.db, schema: this.schema, events: this.events });
    this.maintenances.add(m);
    return m;
  }

  /** A cron scheduler firing this fleet's schedules; `close()` stops it. */
  createScheduler(opts: Omit<SchedulerOptions, 'onError'> = {}): Scheduler {
    const s = new Scheduler(this, { onError: (e) => this.onError(e, 'scheduler'), ...opts });
    this.schedulers.add(s);
    return s;
  }

  /** Stops schedulers, workers (gracefully) and maintenance it created, then closes the database if it opened it. */
  async close(opts: { graceMs?: number } = {}): Promise<void> {
    await Promise.all([...this.schedulers].map((s) => s.stop()));
    await Promise.all([...this.workers].map((w) => w.stop(opts)));
    await Promise.all([...this.maintenances].map((m) => m.stop()));
    await this.relay?.stop().catch(() => {});
    if (this.ownsDb) await this.db.close();
  }
}
