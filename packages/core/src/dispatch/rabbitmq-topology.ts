import type { Channel } from 'amqplib';

/** RabbitMQ priorities run 0–10 here (more levels cost broker CPU for no gain); Jobfleet's −1000…1000 maps onto them. */
export const MAX_BROKER_PRIORITY = 10;

/** Jobfleet priorities −5…5 map one to one onto 0…10; anything beyond clamps to the ends. */
export function brokerPriority(priority: number): number {
  return Math.max(0, Math.min(MAX_BROKER_PRIORITY, Math.round(priority) + 5));
}

export interface RabbitTopologyOptions {
  schema: string;
  /** First part of every exchange and queue name (default "jobfleet"); separate deployments sharing a broker differ here or by vhost. */
  prefix?: string;
  /** Quorum queues (replicated; RabbitMQ 3.10 gives them no priorities) instead of classic priority queues. */
  quorum?: boolean;
}

/** Names of the exchanges and queues that belong to one Jobfleet schema. */
export class RabbitTopology {
  readonly exchange: string;
  readonly deadExchange: string;
  readonly deadQueue: string;
  private readonly declared = new WeakMap<Channel, Set<string>>();
  /** Every Jobfleet queue declared through this topology, for teardown. */
  private readonly known = new Set<string>();

  constructor(private readonly opts: RabbitTopologyOptions) {
    const base = `${opts.prefix ?? 'jobfleet'}.${opts.schema}`;
    this.exchange = base;
    this.deadExchange = `${base}.dead`;
    this.deadQueue = `${base}.dead`;
  }

  queueName(queue: string): string {
    return `${this.exchange}.q.${queue}`;
  }

  /** Deletes the queues and exchanges this topology declared (tests, and tearing a deployment down). */
  async teardown(ch: Channel, queues: readonly string[] = []): Promise<void> {
    for (const q of new Set([...this.known, ...queues])) await ch.deleteQueue(this.queueName(q));
    await ch.deleteQueue(this.deadQueue);
    await ch.deleteExchange(this.exchange);
    await ch.deleteExchange(this.deadExchange);
  }

  /** Declares the exchanges and the dead-letter queue (idempotent). */
  async declareBase(ch: Channel): Promise<void> {
    await ch.assertExchange(this.exchange, 'direct', { durable: true });
    await ch.assertExchange(this.deadExchange, 'fanout', { durable: true });
    await ch.assertQueue(this.deadQueue, { durable: true, arguments: this.queueArguments(false) });
    await ch.bindQueue(this.deadQueue, this.deadExchange, '');
  }

  /** Declares a Jobfleet queue's RabbitMQ queue and binding once per channel. */
  async declareQueue(ch: Channel, queue: string): Promise<string> {
    let seen = this.declared.get(ch);
    if (!seen) this.declared.set(ch, (seen = new Set()));
    const name = this.queueName(queue);
    if (!seen.has(queue)) {
      await ch.assertQueue(name, { durable: true, arguments: this.queueArguments(true) });
      await ch.bindQueue(name, this.exchange, queue);
      seen.add(queue);
      this.known.add(queue);
    }
    return name;
  }

  /** Messages waiting and consumers attached per Jobfleet queue, and the dead-letter queue's depth (declaring what is missing). */
  async inspect(ch: Channel, queues: readonly string[]): Promise<BrokerStats> {
    const out: BrokerStats = { queues: {}, deadLetters: 0 };
    for (const q of queues) {
      const r = await ch.assertQueue(this.queueName(q), { durable: true, arguments: this.queueArguments(true) });
      out.queues[q] = { messages: r.messageCount, consumers: r.consumerCount };
    }
    out.deadLetters = (
      await ch.assertQueue(this.deadQueue, { durable: true, arguments: this.queueArguments(false) })
    ).messageCount;
    return out;
  }

  private queueArguments(prioritised: boolean): Record<string, unknown> {
    if (this.opts.quorum) return { 'x-queue-type': 'quorum' };
    return prioritised ? { 'x-max-priority': MAX_BROKER_PRIORITY } : {};
  }
}

export interface BrokerStats {
  queues: Record<string, { messages: number; consumers: number }>;
  /** Messages in the dead-letter queue (one per job that reached DEAD, until someone consumes them). */
  deadLetters: number;
}

/** The body of a dispatch message: which job, so that the consumer claims it in the database. */
export interface DispatchMessage {
  id: string;
  queue: string;
}
