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
import { BrokerConnection } from './dispatch/broker-connection.ts';
import type { DispatchConfig } from './dispatch/dispatch-config.ts';
import { OutboxRelay, type OutboxRelayOptions } from './dispatch/outbox-relay.ts';
import { RabbitSource } from './dispatch/rabbitmq-source.ts';
import { RabbitTopology, type BrokerStats } from './dispatch/rabbitmq-topology.ts';
import { InvalidOptionError } from './errors.ts';

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
  /**
   * With relayEvents, also receive the events other processes relay (default true). A process with nobody
   * to hand them to (a pure worker or scheduler) should not: every listener on the channel is sent every
   * other process's events, so N workers that listen make PostgreSQL deliver each event N times.
   * Its own events are relayed either way.
   */
  receiveEvents?: boolean;
  /** How workers learn of jobs: claiming from PostgreSQL (default) or RabbitMQ fed by a transactional outbox. */
  dispatch?: DispatchConfig;
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
  readonly dispatch: DispatchConfig;
  private readonly ownsDb: boolean;
  private readonly relay: EventRelay | null;
  private readonly onError: (err: Error, context: string) => void;
  private readonly workers = new Set<Worker>();
  private readonly maintenances = new Set<Maintenance>();
  private readonly schedulers = new Set<Scheduler>();
  private readonly relays = new Set<OutboxRelay>();
  private readonly topology: RabbitTopology | null;
  private brokerConnection: Promise<BrokerConnection> | null = null;

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
    this.relay = relay
      ? new EventRelay(db, this.events, this.channels.events, opts.receiveEvents ?? true, (e) =>
          this.onError(e, 'relaying events'),
        )
      : null;
    this.dispatch = opts.dispatch ?? { kind: 'postgres' };
    this.topology =
      this.dispatch.kind === 'rabbitmq'
        ? new RabbitTopology({ schema: this.schema, quorum: this.dispatch.quorum, prefix: this.dispatch.prefix })
        : null;
  }

  /** The broker connection, opened on first use (RabbitMQ dispatch only). */
  broker(): Promise<BrokerConnection> {
    const d = this.dispatch;
    if (d.kind !== 'rabbitmq') return Promise.reject(new InvalidOptionError('This fleet dispatches through PostgreSQL.'));
    this.brokerConnection ??= BrokerConnection.open(d.url, (e) => this.onError(e, 'message broker'));
    return this.brokerConnection;
  }

  static async open(opts: JobfleetOptions = {}): Promise<Jobfleet> {
    // Checked before anything is opened, so that a refused configuration leaves nothing behind.
    const embedded = opts.db ? opts.db.kind !== 'pg' : !opts.databaseUrl;
    if (opts.dispatch?.kind === 'rabbitmq' && embedded) {
      throw new InvalidOptionError(
        'RabbitMQ dispatch needs PostgreSQL (DATABASE_URL); the embedded database serves one process.',
      );
    }
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
    const source =
      opts.source ??
      (this.topology
        ? new RabbitSource({ db: this.db, schema: this.schema, broker: () => this.broker(), topology: this.topology })
        : undefined);
    const worker = new Worker({
      onError: this.onError,
      ...opts,
      source,
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

  /** Publishes the outbox to RabbitMQ (RabbitMQ dispatch only); run one or more per fleet. `close()` stops it. */
  createOutboxRelay(opts: Pick<OutboxRelayOptions, 'batch' | 'pollMs'> = {}): OutboxRelay {
    if (!this.topology) throw new InvalidOptionError('An outbox relay needs RabbitMQ dispatch (JOBFLEET_DISPATCH=rabbitmq).');
    const relay = new OutboxRelay({
      ...opts,
      db: this.db,
      schema: this.schema,
      broker: () => this.broker(),
      topology: this.topology,
      events: this.events,
      onError: this.onError,
    });
    this.relays.add(relay);
    return relay;
  }

  /** RabbitMQ's view of the given queues (depth, consumers), or null with PostgreSQL dispatch. */
  async brokerStats(queues: readonly string[]): Promise<BrokerStats | null> {
    const topology = this.topology;
    if (!topology) return null;
    const broker = await this.broker();
    await broker.waitUntilConnected(5000);
    return broker.withChannel((ch) => topology.inspect(ch, queues));
  }

  /** The RabbitMQ names this fleet uses (null with PostgreSQL dispatch). */
  get brokerTopology(): RabbitTopology | null {
    return this.topology;
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
    await Promise.all([...this.relays].map((r) => r.stop()));
    await Promise.all([...this.maintenances].map((m) => m.stop()));
    await this.relay?.stop().catch(() => {});
    if (this.brokerConnection) await (await this.brokerConnection.catch(() => null))?.close();
    if (this.ownsDb) await this.db.close();
  }
}
