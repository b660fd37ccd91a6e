import { once } from 'node:events';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { Database, Unlisten } from '../db/database.ts';
import { channels } from '../db/identifiers.ts';
import type { JobEventBus } from '../events.ts';
import type { BrokerConnection } from './broker-connection.ts';
import { enableOutbox } from './outbox.ts';
import { brokerPriority, type DispatchMessage, type RabbitTopology } from './rabbitmq-topology.ts';

export interface OutboxRelayOptions {
  db: Database;
  schema: string;
  broker: () => Promise<BrokerConnection>;
  topology: RabbitTopology;
  events?: JobEventBus;
  /** Rows published per transaction (default 500). */
  batch?: number;
  /** How often to look for rows that came due (delayed jobs, retries), in ms (default 250). */
  pollMs?: number;
  onError?: (err: Error, context: string) => void;
}

interface OutboxRow {
  id: string;
  job_id: string;
  queue: string;
  priority: number;
  kind: 'ready' | 'dead';
}

/**
 * Publishes due outbox rows to RabbitMQ with publisher confirms and deletes them in the same transaction,
 * after the broker confirmed. A crash between commit of the job and publish leaves the row for the next
 * pass (here or in another relay: rows are locked with SKIP LOCKED); a crash after publish but before the
 * delete publishes the row again, which the consumers' claim makes harmless.
 */
export class OutboxRelay {
  private channel: ConfirmChannel | null = null;
  private broker: BrokerConnection | null = null;
  private unregister: (() => void) | null = null;
  private readonly unlisteners: (Unlisten | (() => void))[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly onError: (err: Error, context: string) => void;
  private readonly selectSql: string;
  private readonly deleteSql: string;
  private stat = { published: 0, dead: 0, passes: 0, failures: 0, backfilled: 0 };

  constructor(private readonly opts: OutboxRelayOptions) {
    const s = opts.schema;
    this.onError = opts.onError ?? (() => {});
    this.selectSql = `SELECT id::text, job_id, queue, priority, kind FROM ${s}.dispatch_outbox
      WHERE available_at <= now() ORDER BY available_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`;
    this.deleteSql = `DELETE FROM ${s}.dispatch_outbox WHERE id = ANY ($1::bigint[])`;
  }

  async start(): Promise<void> {
    this.stat.backfilled = await enableOutbox(this.opts.db, this.opts.schema);
    this.broker = await this.opts.broker();
    this.unregister = await this.broker.register((model) => this.setup(model));
    if (this.opts.events) this.unlisteners.push(this.opts.events.onWake(() => this.kick()));
    try {
      this.unlisteners.push(await this.opts.db.listen(channels(this.opts.schema).wake, () => this.kick()));
    } catch (err) {
      this.onError(err as Error, 'listening for new jobs (the relay polls instead)');
    }
    this.timer = setInterval(() => this.kick(), this.opts.pollMs ?? 250);
    this.kick();
  }

  private async setup(model: ChannelModel): Promise<void> {
    const broker = this.broker as BrokerConnection;
    const ch = await broker.channel(model, (m) => m.createConfirmChannel());
    await this.opts.topology.declareBase(ch);
    ch.on('close', () => {
      if (this.channel === ch) this.channel = null;
    });
    this.channel = ch;
    this.kick();
  }

  /** Runs a pass now, or right after the one in flight. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const run = this.loop();
    this.running = run;
    void run.finally(() => {
      if (this.running === run) this.running = null;
    });
  }

  private async loop(): Promise<void> {
    let delay = 100;
    for (;;) {
      this.again = false;
      const ch = this.channel;
      if (!ch || this.stopped) return;
      let n: number;
      try {
        n = await this.pass(ch);
        delay = 100;
      } catch (err) {
        this.stat.failures++;
        this.onError(err as Error, 'publishing the outbox');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
        continue;
      }
      if (n < (this.opts.batch ?? 500) && !this.again) return;
    }
  }

  /** One transaction: lock due rows, publish them, wait for the broker's confirms, delete them. */
  private async pass(ch: ConfirmChannel): Promise<number> {
    this.stat.passes++;
    const topology = this.opts.topology;
    return this.opts.db.transaction(async (tx) => {
      const { rows } = await tx.query<OutboxRow>(this.selectSql, [this.opts.batch ?? 500]);
      if (rows.length === 0) return 0;
      for (const row of rows) {
        const body: DispatchMessage = { id: row.job_id, queue: row.queue };
        const content = Buffer.from(JSON.stringify(body));
        const props = { persistent: true, messageId: row.job_id, contentType: 'application/json', type: row.kind };
        let ok: boolean;
        if (row.kind === 'dead') {
          ok = ch.publish(topology.deadExchange, '', content, props);
        } else {
          await topology.declareQueue(ch, row.queue);
          ok = ch.publish(topology.exchange, row.queue, content, { ...props, priority: brokerPriority(row.priority) });
        }
        // The channel's buffer is full: wait for it to empty, or for the channel to die (the pass then fails).
        if (!ok)
          await Promise.race([once(ch, 'drain'), once(ch, 'close').then(() => Promise.reject(new Error('channel closed')))]);
      }
      await ch.waitForConfirms();
      await tx.query(this.deleteSql, [rows.map((r) => r.id)]);
      for (const r of rows) {
        if (r.kind === 'dead') this.stat.dead++;
        else this.stat.published++;
      }
      return rows.length;
    });
  }

  stats(): Record<string, unknown> {
    return { ...this.stat, connected: this.channel !== null && (this.broker?.connected ?? false) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const u of this.unlisteners.splice(0)) await u();
    await this.running;
    this.unregister?.();
    const ch = this.channel;
    this.channel = null;
    if (ch) await this.broker?.closeChannel(ch);
  }
}
