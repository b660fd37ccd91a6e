import type { Channel, ChannelModel, RecoveringChannelModel } from 'amqplib';
import { coalesceFrameWrites } from './amqp-write-coalescing.ts';

/** Runs on every (re)connection with the fresh connection; throwing makes amqplib reconnect. */
export type BrokerSetup = (model: ChannelModel, generation: number) => Promise<void>;

/**
 * Closes a channel and settles once it is gone, whatever happens meanwhile. amqplib calls back a
 * channel's close only when the broker answers it: when the connection dies first (the broker closed it
 * over another channel's error, the socket broke), the channel ends but its close() never settles, and
 * whoever awaited it (a shutdown, the bench's teardown) hung for good.
 */
export function closeChannelQuietly(ch: Channel): Promise<void> {
  return new Promise((resolve) => {
    ch.once('close', () => resolve());
    ch.close().then(
      () => resolve(),
      () => resolve(),
    );
  });
}

/**
 * One AMQP connection that heals itself (amqplib's recovery: exponential backoff with jitter, forever).
 * Each user registers a setup that opens its channels, topology and consumers on every new connection.
 * The generation number tells a delivery's connection apart from the current one, because acknowledging
 * a delivery tag of a dead channel on a new one is a protocol error that would close it.
 */
export class BrokerConnection {
  private model: ChannelModel | null = null;
  private gen = 0;
  private readonly setups = new Set<BrokerSetup>();
  private readonly closing = new WeakSet<Channel>();
  private closed = false;

  private constructor(
    private readonly handle: RecoveringChannelModel,
    private readonly onError: (err: Error) => void,
  ) {}

  static async open(url: string, onError: (err: Error) => void = () => {}): Promise<BrokerConnection> {
    // Loaded on first use: processes on PostgreSQL dispatch never need the AMQP client.
    const { default: amqp } = await import('amqplib');
    let self: BrokerConnection | null = null;
    const handle = await amqp.connect(url, {
      // Nagle's algorithm held each small publish, confirm and ack for the peer's delayed ACK: ~40 ms of
      // enqueue-to-start latency per job, measured by the bench (amqplib leaves it on by default).
      noDelay: true,
      recovery: {
        initialDelay: 100,
        maxDelay: 5000,
        maxRetries: Infinity,
        waitForConnect: false,
        setup: async (model: ChannelModel) => {
          // The handle is assigned before the first attempt completes (waitForConnect: false).
          await (self as BrokerConnection).attach(model);
        },
      },
    });
    self = new BrokerConnection(handle, onError);
    handle.on('disconnect', (err: Error) => {
      self?.detach();
      onError(err);
    });
    handle.on('connect-failed', (err: Error) => onError(err));
    handle.on('error', (err: Error) => onError(err));
    handle.on('handler-error', (err: Error) => onError(err));
    return self;
  }

  get connected(): boolean {
    return this.model !== null;
  }

  get generation(): number {
    return this.gen;
  }

  /** Resolves when connected (the first time, or again after a drop), or rejects after timeoutMs. */
  async waitUntilConnected(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.model) {
      if (this.closed) throw new Error('The broker connection is closed.');
      if (Date.now() > until) throw new Error(`The message broker was not reachable within ${timeoutMs} ms.`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Adds a setup; runs it now when connected, and after every reconnection. Returns its removal. */
  async register(setup: BrokerSetup): Promise<() => void> {
    this.setups.add(setup);
    if (this.model) {
      try {
        await setup(this.model, this.gen);
      } catch (err) {
        this.onError(err as Error);
        this.restart();
      }
    }
    return () => this.setups.delete(setup);
  }

  /** Opens a channel on the current connection; a channel that closes by itself restarts the connection. */
  async channel<T extends Channel>(model: ChannelModel, open: (m: ChannelModel) => Promise<T>): Promise<T> {
    const ch = await open(model);
    ch.on('error', (err: Error) => this.onError(err));
    ch.on('close', () => {
      // A channel error (say, a bad acknowledgement) closes only its channel; start over cleanly.
      if (!this.closed && !this.closing.has(ch) && this.model === model) this.restart();
    });
    return ch;
  }

  /** Closes a channel on purpose, without restarting the connection. */
  async closeChannel(ch: Channel): Promise<void> {
    this.closing.add(ch);
    await closeChannelQuietly(ch);
  }

  /** Runs fn on a short-lived channel of the current connection (for inspection); fails when not connected. */
  async withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const model = this.model;
    if (!model) throw new Error('The message broker is not connected.');
    const ch = await model.createChannel();
    ch.on('error', () => {});
    try {
      return await fn(ch);
    } finally {
      await closeChannelQuietly(ch);
    }
  }

  /** Drops the current connection so that recovery opens a new one and runs every setup again. */
  restart(): void {
    const m = this.model;
    if (m) void m.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    this.setups.clear();
    this.model = null;
    await this.handle.close().catch(() => {});
  }

  private async attach(model: ChannelModel): Promise<void> {
    coalesceFrameWrites(model);
    const gen = this.gen + 1;
    for (const setup of this.setups) await setup(model, gen);
    this.gen = gen;
    this.model = model;
  }

  private detach(): void {
    this.model = null;
  }
}
