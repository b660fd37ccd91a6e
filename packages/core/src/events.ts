import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Database, Unlisten } from './db/database.ts';
import type { JobStatus } from './job.ts';
import { decodeEvents, encodeItems, runEvents, type RelayItem, type StateRow } from './event-wire.ts';

export type JobEventKind = 'state' | 'progress' | 'log';

export interface JobEvent {
  kind: JobEventKind;
  jobId: string;
  type: string;
  queue: string;
  status: JobStatus;
  ownerId: string | null;
  attempt?: number;
  progress?: number | null;
  message?: string | null;
  at: string;
}

/** In-process fan-out of job events. Listeners must be cheap: they run on the hot path. */
export class JobEventBus {
  private readonly emitter = new EventEmitter();
  /** Identifies this process's events when they come back through NOTIFY. */
  readonly origin = randomUUID();
  private relayHook: ((item: RelayItem) => void) | null = null;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Publishes events raised in this process (delivered locally and, when relayed, to other processes). */
  publish(events: JobEvent[]): void {
    if (events.length === 0) return;
    this.deliver(events);
    this.relayHook?.(events);
  }

  /**
   * Publishes the state changes of rows a query returned (a claim, an outcome batch), each with `status`
   * or its own. With no listener in this process the relay takes the rows as they are: no event objects.
   */
  publishStates(rows: readonly StateRow[], status?: JobStatus): void {
    if (rows.length === 0) return;
    const run = { rows, status, at: new Date().toISOString() };
    if (this.emitter.listenerCount('event') > 0) {
      const events = runEvents(run);
      this.deliver(events);
      this.relayHook?.(events);
    } else {
      this.relayHook?.(run);
    }
  }

  /** Delivers events locally only (used for events that arrived from elsewhere). */
  deliver(events: JobEvent[]): void {
    for (const e of events) this.emitter.emit('event', e);
  }

  subscribe(fn: (e: JobEvent) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }

  /** True when a published event would reach anyone: a listener here or the relay to other processes. */
  get active(): boolean {
    return this.relayHook !== null || this.emitter.listenerCount('event') > 0;
  }

  listenerCount(): number {
    return this.emitter.listenerCount('event');
  }

  /** Requests to cancel running jobs, raised in this process. */
  onCancel(fn: (jobId: string) => void): () => void {
    this.emitter.on('cancel', fn);
    return () => this.emitter.off('cancel', fn);
  }

  requestCancel(jobId: string): void {
    this.emitter.emit('cancel', jobId);
  }

  /** New work is ready: wakes idle in-process workers without waiting for NOTIFY or a poll. */
  requestWake(): void {
    this.emitter.emit('wake');
  }

  onWake(fn: () => void): () => void {
    this.emitter.on('wake', fn);
    return () => this.emitter.off('wake', fn);
  }

  setRelay(hook: ((item: RelayItem) => void) | null): void {
    this.relayHook = hook;
  }
}

const MAX_NOTIFY = 7800;
const FLUSH_INTERVAL_MS = 10;
/**
 * Under load, at most one flush per BUSY_FLUSH_MS. A NOTIFY's cost is per transaction, not per byte:
 * notifying commits take turns under a database-wide lock, and each one wakes every listening backend
 * of the database (every worker's wake listener included) to read the queue. Measured with 8 listeners:
 * 100,000 events in 500 NOTIFYs cost PostgreSQL 320 ms of CPU, in 100 NOTIFYs 130 ms.
 */
const BUSY_FLUSH_MS = 100;
/** Busy: events arriving at this rate or more (per ms, since the previous flush): 500 a second. */
const BUSY_EVENTS_PER_MS = 0.5;
/**
 * The chunks travel as one text joined by newlines (JSON never holds a raw one): as a text[] parameter
 * pg would escape every quote of every chunk first, a copy of each payload made character by character.
 */
const RELAY_SQL = `SELECT pg_notify($1, c) FROM unnest(string_to_array($2, E'\\n')) AS c
WHERE (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL`;

/**
 * Carries job events between processes over NOTIFY on a real PostgreSQL. Events are batched per tick
 * and split to fit NOTIFY's 8000-byte limit. Delivery is best effort: the database stays the truth.
 */
export class EventRelay {
  private pending: RelayItem[] = [];
  private pendingEvents = 0;
  private scheduled = false;
  private unlisten: Unlisten | null = null;
  private readonly ownPrefix: string;
  private flushing: Promise<void> = Promise.resolve();
  private lastFlushAt = 0;
  private busy = false;

  constructor(
    private readonly db: Database,
    private readonly bus: JobEventBus,
    private readonly channel: string,
    /** Listen for other processes' events; off, this process only sends its own. */
    private readonly receiveOthers: boolean,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    this.ownPrefix = JSON.stringify({ o: bus.origin }).slice(0, -1);
  }

  async start(): Promise<void> {
    this.bus.setRelay((item) => this.enqueue(item));
    if (this.receiveOthers) this.unlisten = await this.db.listen(this.channel, (payload) => this.receive(payload));
  }

  async stop(): Promise<void> {
    this.bus.setRelay(null);
    await this.flush();
    await this.unlisten?.();
    this.unlisten = null;
  }

  private enqueue(item: RelayItem): void {
    this.pending.push(item);
    this.pendingEvents += Array.isArray(item) ? item.length : item.rows.length;
    if (!this.scheduled) {
      this.scheduled = true;
      // At most one flush per FLUSH_INTERVAL_MS, or per BUSY_FLUSH_MS while events arrive at
      // BUSY_EVENTS_PER_MS or more: under load each carries hundreds of events; a lone event still
      // leaves on the next turn of the event loop.
      const interval = this.busy ? BUSY_FLUSH_MS : FLUSH_INTERVAL_MS;
      const wait = this.lastFlushAt + interval - Date.now();
      if (wait > 0) setTimeout(() => void this.flush(), wait);
      else setImmediate(() => void this.flush());
    }
  }

  /** One flush in flight at a time, so that other processes see this one's events in order. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.send());
    return this.flushing;
  }

  private async send(): Promise<void> {
    this.scheduled = false;
    const now = Date.now();
    const items = this.pending;
    const count = this.pendingEvents;
    this.pending = [];
    this.pendingEvents = 0;
    this.busy = count / Math.max(now - this.lastFlushAt, FLUSH_INTERVAL_MS) >= BUSY_EVENTS_PER_MS;
    this.lastFlushAt = now;
    if (count === 0) return;
    const chunks = encodeItems(this.bus.origin, items, MAX_NOTIFY);
    try {
      // NOTIFY gives its transaction an id and a commit record, and a commit waits for its WAL flush by
      // default: one disk flush per relay flush, for notifications that are not durable anyway (the queue
      // is not WAL-logged). This transaction alone commits without waiting (synchronous_commit off).
      await this.db.query(RELAY_SQL, [this.channel, chunks.join('\n')]);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  private receive(payload: string): void {
    // Every listener hears its own notifications too; drop those without parsing them.
    if (payload.startsWith(this.ownPrefix)) return;
    const msg = decodeEvents(payload);
    if (!msg || msg.origin === this.bus.origin || msg.events.length === 0) return;
    this.bus.deliver(msg.events);
  }
}

/** A row a state-changing statement returns. */
export interface OutcomeRow extends StateRow {
  status: JobStatus;
}

export function stateEvents(rows: OutcomeRow[]): JobEvent[] {
  return runEvents({ rows, status: undefined, at: new Date().toISOString() });
}
