import { Jobfleet, defineJob, type Maintenance, type Worker } from '@jobfleet/core';
import { benchBrokerPrefix } from '../broker.ts';
import type { BenchPayload, BenchSystem, SessionResources } from '../types.ts';

export const JOB = 'bench_noop';
export const JOBFLEET_WORKER = { concurrency: 24, prefetch: 500 } as const;
export const JOBFLEET_POOL = 8;
/** Rows per enqueueMany call (the client splits into 5,000-row statements inside one transaction). */
export const JOBFLEET_CHUNK = 10_000;

const dbName = (url: string | undefined): string => (url ? new URL(url).pathname.slice(1) : 'embedded');

export interface SessionOptions {
  memory?: boolean;
  relayEvents?: boolean;
  amqpUrl?: string;
  /** The worker's direct start of jobs this process enqueues (default true, as in `jobfleet start`). */
  handoff?: boolean;
}

/** What tells the Jobfleet variants apart; the session does the rest. */
export type JobfleetVariant = Pick<BenchSystem, 'id' | 'label' | 'backend' | 'version' | 'settings' | 'note'>;

/** A Jobfleet bench system: the variant's description, driving a session opened with `opts`. */
export function jobfleetSystem(variant: JobfleetVariant, opts: SessionOptions): BenchSystem {
  const s = new JobfleetSession();
  return {
    ...variant,
    setup: (res: SessionResources) => s.open(res, opts),
    enqueueBulk: (from, n) => s.enqueueBulk(from, n),
    analyze: () => s.analyze(),
    startWorkers: (c) => s.startWorkers(c),
    remaining: () => s.remaining(),
    completed: () => s.completed(),
    latencyProbe: (p: BenchPayload) => s.latencyProbe(p),
    teardown: () => s.close(),
  };
}

/** The Jobfleet session shared by the PostgreSQL and PGlite variants. */
export class JobfleetSession {
  fleet: Jobfleet | null = null;
  worker: Worker | null = null;
  maintenance: Maintenance | null = null;
  private handoff = true;

  async open(res: SessionResources, opts: SessionOptions): Promise<void> {
    this.handoff = opts.handoff ?? true;
    const onJob = res.onJob;
    const noop = defineJob({
      name: JOB,
      description: 'Benchmark no-op: reports its payload to the harness and returns null.',
      // The no-op returns null synchronously (drain); only an I/O-bound onJob makes it a promise.
      handler: (payload: unknown) => {
        const pending = onJob(payload);
        return pending ? pending.then(() => null) : null;
      },
    });
    this.fleet = await Jobfleet.open({
      ...(opts.memory
        ? { memory: true }
        : { databaseUrl: res.databaseUrl, poolSize: Math.min(JOBFLEET_POOL, res.poolSize ?? JOBFLEET_POOL) }),
      ...(opts.relayEvents === undefined ? {} : { relayEvents: opts.relayEvents }),
      // As `jobfleet worker` runs: it relays its own events but, with no HTTP server, receives nobody else's.
      receiveEvents: false,
      // RabbitMQ names are per database; they go when the database is dropped (bench/broker.ts).
      ...(opts.amqpUrl
        ? { dispatch: { kind: 'rabbitmq' as const, url: opts.amqpUrl, prefix: benchBrokerPrefix(dbName(res.databaseUrl)) } }
        : {}),
      jobTypes: [noop],
    });
    // Like every long-lived `jobfleet` process with RabbitMQ dispatch, each session process relays the outbox.
    if (opts.amqpUrl) await this.fleet.createOutboxRelay().start();
  }

  private get f(): Jobfleet {
    if (!this.fleet) throw new Error('Jobfleet session is not open.');
    return this.fleet;
  }

  async enqueueBulk(from: number, n: number): Promise<void> {
    for (let s = 0; s < n; s += JOBFLEET_CHUNK) {
      const len = Math.min(JOBFLEET_CHUNK, n - s);
      await this.f.client.enqueueMany(Array.from({ length: len }, (_, k) => ({ type: JOB, payload: { i: from + s + k } })));
    }
  }

  async analyze(): Promise<void> {
    await this.f.db.query('ANALYZE');
  }

  async startWorkers(concurrency: number): Promise<void> {
    // As `jobfleet worker` does: the maintenance duties (rescuer, promoter, cleaner, analyzer, vacuumer)
    // run beside every worker.
    this.maintenance = this.f.createMaintenance();
    this.maintenance.start();
    this.worker = this.f.createWorker({ concurrency, prefetch: JOBFLEET_WORKER.prefetch, handoff: this.handoff });
    await this.worker.start();
  }

  async remaining(): Promise<number> {
    const { rows } = await this.f.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.f.schema}.jobs WHERE status IN ('QUEUED','SCHEDULED','FAILED','RUNNING')`,
    );
    return rows[0]?.n ?? -1;
  }

  async completed(): Promise<number> {
    const { rows } = await this.f.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.f.schema}.jobs WHERE status = 'COMPLETED'`,
    );
    return rows[0]?.n ?? -1;
  }

  async latencyProbe(payload: BenchPayload): Promise<void> {
    await this.f.client.enqueue(JOB, payload);
  }

  async close(): Promise<void> {
    await this.maintenance?.stop();
    this.maintenance = null;
    await this.fleet?.close({ graceMs: 2000 });
    this.fleet = null;
    this.worker = null;
  }
}
