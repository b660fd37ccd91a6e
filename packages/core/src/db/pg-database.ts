import pg from 'pg';
import type { Database, Queryable, QueryResult, Unlisten } from './database.ts';

export interface PgDatabaseOptions {
  connectionString?: string;
  pool?: pg.Pool;
  max?: number;
  /** Called when the LISTEN connection drops; it reconnects by itself with backoff. */
  onError?: (err: Error) => void;
}

type Listener = (payload: string) => void;

/** Real PostgreSQL through a pg Pool, plus one dedicated connection for LISTEN that reconnects itself. */
export class PgDatabase implements Database {
  readonly kind = 'pg' as const;
  readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly connectionString: string | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();
  private listenClient: pg.Client | null = null;
  private listenConnecting: Promise<void> | null = null;
  private closed = false;
  private readonly onError: (err: Error) => void;

  constructor(opts: PgDatabaseOptions) {
    this.connectionString = opts.connectionString;
    this.ownsPool = !opts.pool;
    // Keep-alive and a connect timeout turn a silent network partition into errors (and 503s) within
    // seconds, instead of requests hanging until the operating system's TCP timeout.
    this.pool =
      opts.pool ??
      new pg.Pool({
        connectionString: opts.connectionString,
        max: opts.max ?? 10,
        keepAlive: true,
        connectionTimeoutMillis: 15_000,
      });
    this.onError = opts.onError ?? (() => {});
    // An idle client that errors (server restart) must not crash the process.
    this.pool.on('error', (err) => this.onError(err));
  }

  async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    const r = await this.pool.query(sql, params as unknown[]);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
  }

  /**
   * Runs a hot-path statement as a named prepared statement: each connection parses and plans it
   * once instead of on every call. The name must be unique to the statement's text.
   */
  async prepared<T>(name: string, sql: string, params: unknown[]): Promise<QueryResult<T>> {
    const r = await this.pool.query({ name, text: sql, values: params });
    return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: Queryable = {
      query: async <R>(sql: string, params?: unknown[]) => {
        const r = await client.query(sql, params as unknown[]);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
      },
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(tx);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async listen(channel: string, onPayload: Listener): Promise<Unlisten> {
    let set = this.listeners.get(channel);
    const isNew = !set;
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(onPayload);
    await this.ensureListenClient();
    if (isNew && this.listenClient) await this.listenClient.query(`LISTEN ${quoteChannel(channel)}`).catch(() => {});
    return async () => {
      const s = this.listeners.get(channel);
      s?.delete(onPayload);
      if (s && s.size === 0) {
        this.listeners.delete(channel);
        await this.listenClient?.query(`UNLISTEN ${quoteChannel(channel)}`).catch(() => {});
      }
    };
  }

  private ensureListenClient(): Promise<void> {
    if (this.listenClient || this.closed) return Promise.resolve();
    if (!this.listenConnecting) {
      this.listenConnecting = this.connectListener().finally(() => {
        this.listenConnecting = null;
      });
    }
    return this.listenConnecting;
  }

  private async connectListener(): Promise<void> {
    const client = this.connectionString
      ? new pg.Client({ connectionString: this.connectionString, keepAlive: true, connectionTimeoutMillis: 15_000 })
      : new pg.Client(poolConnectionOptions(this.pool));
    client.on('notification', (msg) => {
      const set = this.listeners.get(msg.channel);
      if (!set) return;
      for (const fn of set) fn(msg.payload ?? '');
    });
    client.on('error', (err) => {
      this.onError(err);
      this.dropListener(client);
    });
    client.on('end', () => this.dropListener(client));
    try {
      await client.connect();
      for (const channel of this.listeners.keys()) await client.query(`LISTEN ${quoteChannel(channel)}`);
      this.listenClient = client;
    } catch (err) {
      this.onError(err as Error);
      client.end().catch(() => {});
      this.scheduleReconnect();
    }
  }

  private dropListener(client: pg.Client): void {
    if (this.listenClient !== client) return;
    this.listenClient = null;
    this.scheduleReconnect();
  }

  private reconnectDelay = 100;
  private scheduleReconnect(): void {
    if (this.closed || this.listeners.size === 0) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, 5000);
    setTimeout(() => {
      this.ensureListenClient().then(() => {
        if (this.listenClient) this.reconnectDelay = 100;
      });
    }, delay).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.listenClient;
    this.listenClient = null;
    await c?.end().catch(() => {});
    if (this.ownsPool) await this.pool.end();
  }
}

function quoteChannel(channel: string): string {
  return '"' + channel.replace(/"/g, '""') + '"';
}

function poolConnectionOptions(pool: pg.Pool): pg.ClientConfig {
  // pg.Pool keeps the options it was built with; reuse them for the LISTEN connection.
  return (pool as unknown as { options: pg.ClientConfig }).options;
}
