import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Database } from '../db/database.ts';
import { CLAIM_COLUMNS, type ClaimedRow } from '../job.ts';
import { claimJobsByIdSql, redispatchSql } from '../sql/claim-jobs-by-id.ts';
import { AckBatcher } from './ack-batcher.ts';
import type { BrokerConnection } from './broker-connection.ts';
import type { JobSource, JobSourceHost } from './job-source.ts';
import type { RabbitTopology } from './rabbitmq-topology.ts';

export interface RabbitSourceOptions {
  db: Database;
  schema: string;
  broker: () => Promise<BrokerConnection>;
  topology: RabbitTopology;
  /** Unacknowledged messages the broker may hand this worker (default: the worker's concurrency + prefetch). */
  prefetch?: number;
  /** How often paused queues are looked up, in ms (default 2000). */
  pauseCheckMs?: number;
  /** A delivered job that could not be claimed but is still due goes back through the outbox after this long (default 5000). */
  redispatchDelayMs?: number;
}

interface Delivery {
  msg: ConsumeMessage;
  channel: Channel;
}

const MAX_CLAIM = 1000;

/**
 * Broker dispatch (issue 8): consumes one RabbitMQ queue per Jobfleet queue and claims each delivered job
 * in PostgreSQL by compare-and-set before it runs. A message is acknowledged only once the job's outcome
 * is committed (or the job turned out not to be this worker's to run), so a worker that dies holding
 * messages has them redelivered; the claim makes redeliveries and duplicates harmless.
 */
export class RabbitSource implements JobSource {
  readonly kind = 'rabbitmq' as const;
  private host: JobSourceHost | null = null;
  private broker: BrokerConnection | null = null;
  private unregister: (() => void) | null = null;
  private channel: Channel | null = null;
  /** The current channel's unacknowledged deliveries, so that acknowledgements go out in runs. */
  private acks = new AckBatcher();
  /** Consumer tags by Jobfleet queue, on the current channel. */
  private consumers = new Map<string, string>();
  private paused = new Set<string>();
  private pending: Delivery[] = [];
  /** Deliveries of jobs this worker claimed, acknowledged when the worker is done with the job. */
  private readonly held = new Map<string, Delivery>();
  private claiming: Promise<void> | null = null;
  private stopped = false;
  private pauseTimer: NodeJS.Timeout | null = null;
  private readonly claimSql: string;
  private readonly redispatch: string;
  private stat = { delivered: 0, claimed: 0, dropped: 0, redispatched: 0, acked: 0, ackFrames: 0, staleAcks: 0 };

  constructor(private readonly opts: RabbitSourceOptions) {
    this.claimSql = claimJobsByIdSql(opts.schema, CLAIM_COLUMNS);
    this.redispatch = redispatchSql(opts.schema);
  }

  async start(host: JobSourceHost): Promise<void> {
    this.host = host;
    await this.refreshPaused();
    this.broker = await this.opts.broker();
    this.unregister = await this.broker.register((model) => this.setup(model));
    this.pauseTimer = setInterval(() => void this.checkPauses(), this.opts.pauseCheckMs ?? 2000);
  }

  /** On every (re)connection: a channel with the prefetch, the queues, and a consumer per unpaused queue. */
  private async setup(model: ChannelModel): Promise<void> {
    const host = this.host as JobSourceHost;
    const broker = this.broker as BrokerConnection;
    // Deliveries from the previous connection are void: the broker requeued them when it dropped.
    this.pending = [];
    this.held.clear();
    this.consumers.clear();
    this.acks = new AckBatcher();
    const ch = await broker.channel(model, (m) => m.createChannel());
    await ch.prefetch(Math.max(1, this.opts.prefetch ?? host.capacity));
    await this.opts.topology.declareBase(ch);
    for (const q of host.queues) await this.opts.topology.declareQueue(ch, q);
    this.channel = ch;
    if (!this.stopped) for (const q of host.queues) if (!this.paused.has(q)) await this.consume(ch, q);
  }

  private async consume(ch: Channel, queue: string): Promise<void> {
    const { consumerTag } = await ch.consume(this.opts.topology.queueName(queue), (msg) => this.onMessage(ch, msg), {
      noAck: false,
    });
    this.consumers.set(queue, consumerTag);
  }

  private onMessage(ch: Channel, msg: ConsumeMessage | null): void {
    if (!msg) {
      // The broker cancelled the consumer (the queue was deleted): start over, which declares it again.
      this.broker?.restart();
      return;
    }
    this.stat.delivered++;
    if (ch === this.channel) this.acks.delivered(msg.fields.deliveryTag);
    this.pending.push({ msg, channel: ch });
    this.drainPending();
  }

  private drainPending(): void {
    if (this.claiming || this.pending.length === 0 || !this.host) return;
    const batch = this.pending.splice(0, MAX_CLAIM);
    const run = this.claim(this.host, batch);
    this.claiming = run;
    void run.finally(() => {
      if (this.claiming === run) this.claiming = null;
      this.drainPending();
    });
  }

  private async claim(host: JobSourceHost, batch: Delivery[]): Promise<void> {
    const byId = new Map<string, Delivery[]>();
    for (const d of batch) {
      const id = jobIdOf(d.msg);
      if (!id) {
        // Not ours to understand (published by something else): drop it rather than loop on it.
        this.ack(d);
        this.stat.dropped++;
        continue;
      }
      const list = byId.get(id);
      if (list) list.push(d);
      else byId.set(id, [d]);
    }
    const ids = [...byId.keys()];
    const token = randomUUID();
    try {
      if (ids.length) {
        const { rows } = await this.opts.db.query<ClaimedRow>(this.claimSql, [
          ids,
          host.types,
          token,
          host.leaseMs,
          host.workerId,
        ]);
        const claimed = new Set(rows.map((r) => r.id));
        const unclaimed = ids.filter((id) => !claimed.has(id));
        if (unclaimed.length) {
          const r = await this.opts.db.query(this.redispatch, [unclaimed, this.opts.redispatchDelayMs ?? 5000]);
          this.stat.redispatched += r.rowCount;
        }
        for (const [id, list] of byId) {
          // The first delivery of a claimed job is held until the outcome is written; duplicates go at once.
          const first = claimed.has(id) ? (list.shift() as Delivery) : null;
          if (first) this.held.set(id, first);
          for (const d of list) this.ack(d);
          if (!first) this.stat.dropped += list.length;
        }
        this.stat.claimed += rows.length;
        if (rows.length) host.accept(rows, token);
      }
    } catch (err) {
      host.onError(err as Error, 'claiming delivered jobs');
      // The database is away: give the messages back to the broker to try again (here or elsewhere).
      for (const list of byId.values()) for (const d of list) this.nack(d);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  wake(): void {}

  poke(): void {}

  done(ids: readonly string[]): void {
    const ch = this.channel;
    const byTag = new Map<number, Delivery>();
    for (const id of ids) {
      const d = this.held.get(id);
      if (!d) continue;
      this.held.delete(id);
      if (d.channel === ch) byTag.set(d.msg.fields.deliveryTag, d);
      else this.stat.staleAcks++;
    }
    if (!ch || byTag.size === 0) return;
    const { upTo, single } = this.acks.plan([...byTag.keys()]);
    try {
      // One frame for the run of oldest deliveries, one each for the rest.
      if (upTo !== null) ch.ack((byTag.get(upTo) as Delivery).msg, true);
      for (const tag of single) ch.ack((byTag.get(tag) as Delivery).msg);
      this.stat.acked += byTag.size;
      this.stat.ackFrames += single.length + (upTo === null ? 0 : 1);
    } catch {
      // The channel closed before its replacement arrived: the broker requeues the messages itself.
      this.stat.staleAcks += byTag.size;
    }
  }

  private ack(d: Delivery): void {
    // A delivery from a closed channel was requeued by the broker; acknowledging it on another channel is an error.
    if (d.channel !== this.channel) {
      this.stat.staleAcks++;
      return;
    }
    try {
      d.channel.ack(d.msg);
      this.acks.settle(d.msg.fields.deliveryTag);
      this.stat.acked++;
      this.stat.ackFrames++;
    } catch {
      // The channel closed before its replacement arrived: the broker requeues the message itself.
      this.stat.staleAcks++;
    }
  }

  private nack(d: Delivery): void {
    if (d.channel !== this.channel) return;
    try {
      d.channel.nack(d.msg, false, true);
      this.acks.settle(d.msg.fields.deliveryTag);
    } catch {
      // As for ack: a closed channel's unacknowledged messages go back to the queue anyway.
    }
  }

  private async refreshPaused(): Promise<void> {
    const { rows } = await this.opts.db.query<{ name: string }>(
      `SELECT name FROM ${this.opts.schema}.queues WHERE paused AND name = ANY($1::text[])`,
      [this.host?.queues ?? []],
    );
    this.paused = new Set(rows.map((r) => r.name));
  }

  /** Stops consuming paused queues (their messages wait in RabbitMQ) and resumes the rest. */
  private async checkPauses(): Promise<void> {
    try {
      await this.refreshPaused();
      const ch = this.channel;
      if (!ch || this.stopped || !this.host) return;
      for (const q of this.host.queues) {
        const tag = this.consumers.get(q);
        if (this.paused.has(q) && tag) {
          this.consumers.delete(q);
          await ch.cancel(tag);
        } else if (!this.paused.has(q) && !tag) {
          await this.consume(ch, q);
        }
      }
    } catch (err) {
      this.host?.onError(err as Error, 'checking paused queues');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pauseTimer) clearInterval(this.pauseTimer);
    const ch = this.channel;
    if (ch) {
      for (const tag of this.consumers.values()) await ch.cancel(tag).catch(() => {});
      this.consumers.clear();
    }
    await this.claiming;
    // Delivered but never claimed: back to the broker for another worker.
    for (const d of this.pending.splice(0)) this.nack(d);
  }

  async close(): Promise<void> {
    this.unregister?.();
    const ch = this.channel;
    this.channel = null;
    // Whatever is still unacknowledged returns to the queue; the claim makes a second delivery harmless.
    if (ch) await this.broker?.closeChannel(ch);
  }

  stats(): Record<string, unknown> {
    return { ...this.stat, held: this.held.size, pendingDeliveries: this.pending.length, pausedQueues: [...this.paused] };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function jobIdOf(msg: ConsumeMessage): string | null {
  try {
    const body = JSON.parse(msg.content.toString('utf8')) as { id?: unknown };
    return typeof body.id === 'string' && UUID.test(body.id) ? body.id : null;
  } catch {
    return null;
  }
}
