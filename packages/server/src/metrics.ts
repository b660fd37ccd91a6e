import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Jobfleet, JobEvent } from '@jobfleet/core';
import { dispatchInfo, type DispatchInfo } from './dispatch-info.ts';
import { RecentMap } from './recent-map.ts';

const MAX_TRACKED = 100_000;

/**
 * The server's Prometheus metrics, in a registry of its own (never prom-client's global one).
 * Job counters and timings come from the event bus (events raised in this process, plus those relayed
 * from other processes over NOTIFY on a real PostgreSQL); queue depth is read from the database on scrape.
 * Wait and run times are measured between the state events this process sees for a job, so they are
 * approximate when events are lost (best effort, like the relay).
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly enqueued: Counter<'type' | 'queue'>;
  private readonly completed: Counter<'type' | 'queue'>;
  private readonly failed: Counter<'type' | 'queue' | 'final'>;
  private readonly cancelled: Counter<'type' | 'queue'>;
  private readonly runTime: Histogram<'type' | 'queue'>;
  private readonly waitTime: Histogram<'type' | 'queue'>;
  /** Label children per method/route/status: prom-client hashes a label object on every call otherwise. */
  private readonly httpChildren = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();
  /** The same for job counters, per type and queue (bounded by the job types and queues that exist). */
  private readonly enqueuedChildren = new Map<string, { inc(): void }>();
  /** When this process saw each job queued and started; bounded, since it may never see the end. */
  private readonly queuedAt = new RecentMap<string, number>(MAX_TRACKED);
  private readonly startedAt = new RecentMap<string, number>(MAX_TRACKED);
  private readonly unsubscribe: () => void;

  constructor(fleet: Pick<Jobfleet, 'events' | 'client'>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'jobfleet_' });
    this.httpRequests = new Counter({
      name: 'jobfleet_http_requests_total',
      help: 'HTTP requests served, by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'jobfleet_http_request_duration_seconds',
      help: 'HTTP request duration.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.enqueued = new Counter({
      name: 'jobfleet_jobs_enqueued_total',
      help: 'Jobs enqueued.',
      labelNames: ['type', 'queue'],
      registers,
    });
    this.completed = new Counter({
      name: 'jobfleet_jobs_completed_total',
      help: 'Jobs completed.',
      labelNames: ['type', 'queue'],
      registers,
    });
    this.failed = new Counter({
      name: 'jobfleet_jobs_failed_total',
      help: 'Failed attempts; final="true" when the job went DEAD.',
      labelNames: ['type', 'queue', 'final'],
      registers,
    });
    this.cancelled = new Counter({
      name: 'jobfleet_jobs_cancelled_total',
      help: 'Jobs cancelled.',
      labelNames: ['type', 'queue'],
      registers,
    });
    const buckets = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
    this.runTime = new Histogram({
      name: 'jobfleet_job_run_seconds',
      help: 'Time from RUNNING to a finished state.',
      labelNames: ['type', 'queue'],
      buckets,
      registers,
    });
    this.waitTime = new Histogram({
      name: 'jobfleet_job_wait_seconds',
      help: 'Time from QUEUED to RUNNING.',
      labelNames: ['type', 'queue'],
      buckets,
      registers,
    });
    new Gauge({
      name: 'jobfleet_queue_jobs',
      help: 'Jobs per queue and state (read from the database on scrape).',
      labelNames: ['queue', 'status'],
      registers,
      async collect() {
        this.reset();
        const queues = await fleet.client.queues();
        for (const q of queues) for (const [status, n] of Object.entries(q.counts)) this.set({ queue: q.name, status }, n);
      },
    });
    new Gauge({
      name: 'jobfleet_queue_paused',
      help: '1 when the queue is paused.',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        for (const q of await fleet.client.queues()) this.set({ queue: q.name }, q.paused ? 1 : 0);
      },
    });
    const full = fleet as Partial<Jobfleet>;
    if (full.dispatch?.kind === 'rabbitmq') this.registerDispatchGauges(full as Jobfleet, registers);
    this.unsubscribe = fleet.events.subscribe((e) => this.observe(e));
  }

  /** RabbitMQ dispatch: the outbox backlog and the broker's view of each queue, read on scrape. */
  private registerDispatchGauges(fleet: Jobfleet, registers: Registry[]): void {
    // Three gauges share one look per scrape.
    let last: { at: number; info: Promise<DispatchInfo> } | null = null;
    const scrape = (): Promise<DispatchInfo> => {
      if (!last || Date.now() - last.at > 1000) {
        last = {
          at: Date.now(),
          info: fleet.client.queues().then((qs) =>
            dispatchInfo(
              fleet,
              qs.map((q) => q.name),
            ),
          ),
        };
      }
      return last.info;
    };
    new Gauge({
      name: 'jobfleet_outbox_messages',
      help: 'Dispatch messages not yet published to the broker (when: due now, or later).',
      labelNames: ['when'],
      registers,
      async collect() {
        this.reset();
        const { outbox } = await scrape();
        this.set({ when: 'due' }, outbox?.due ?? 0);
        this.set({ when: 'later' }, outbox?.later ?? 0);
      },
    });
    new Gauge({
      name: 'jobfleet_broker_queue_messages',
      help: 'Messages ready in each RabbitMQ queue (-1 for every queue when the broker does not answer).',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        const { broker } = await scrape();
        for (const [queue, q] of Object.entries(broker?.queues ?? {})) this.set({ queue }, q.messages);
        if (broker && !broker.reachable) this.set({ queue: '*' }, -1);
        if (broker?.deadLetters !== undefined) this.set({ queue: 'dead-letters' }, broker.deadLetters);
      },
    });
    new Gauge({
      name: 'jobfleet_broker_queue_consumers',
      help: 'Consumers (worker processes) attached to each RabbitMQ queue.',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        const { broker } = await scrape();
        for (const [queue, q] of Object.entries(broker?.queues ?? {})) this.set({ queue }, q.consumers);
      },
    });
  }

  /** One served HTTP request (route: the route's pattern, never the raw URL, so labels stay few). */
  recordRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let child = this.httpChildren.get(key);
    if (!child) {
      child = {
        count: this.httpRequests.labels(method, route, String(status)),
        duration: this.httpDuration.labels(method, route),
      };
      this.httpChildren.set(key, child);
    }
    child.count.inc();
    child.duration.observe(seconds);
  }

  private countEnqueued(type: string, queue: string): void {
    const key = `${type}\u0000${queue}`;
    let child = this.enqueuedChildren.get(key);
    if (!child) {
      child = this.enqueued.labels(type, queue);
      this.enqueuedChildren.set(key, child);
    }
    child.inc();
  }

  private observe(e: JobEvent): void {
    if (e.kind !== 'state') return;
    const labels = { type: e.type, queue: e.queue };
    const at = Date.parse(e.at) || Date.now();
    switch (e.status) {
      case 'QUEUED':
      case 'SCHEDULED':
        if (!e.attempt) this.countEnqueued(e.type, e.queue);
        this.queuedAt.set(e.jobId, at);
        break;
      case 'RUNNING': {
        const q = this.queuedAt.get(e.jobId);
        if (q !== undefined) {
          this.waitTime.observe(labels, Math.max(0, at - q) / 1000);
          this.queuedAt.delete(e.jobId);
        }
        this.startedAt.set(e.jobId, at);
        break;
      }
      case 'COMPLETED':
      case 'FAILED':
      case 'DEAD':
      case 'CANCELLED': {
        const s = this.startedAt.get(e.jobId);
        if (s !== undefined) {
          this.runTime.observe(labels, Math.max(0, at - s) / 1000);
          this.startedAt.delete(e.jobId);
        }
        if (e.status === 'COMPLETED') this.completed.inc(labels);
        else if (e.status === 'CANCELLED') this.cancelled.inc(labels);
        else this.failed.inc({ ...labels, final: String(e.status === 'DEAD') });
        if (e.status !== 'FAILED') this.queuedAt.delete(e.jobId);
        break;
      }
    }
  }

  close(): void {
    this.unsubscribe();
    this.registry.clear();
  }
}
