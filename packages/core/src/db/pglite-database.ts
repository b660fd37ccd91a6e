import type { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult, Unlisten } from './database.ts';

export interface PgliteDatabaseOptions {
  /** A directory to keep the data in; omit for an in-memory database. */
  dataDir?: string;
  instance?: PGlite;
}

/** The embedded database: PostgreSQL compiled to WebAssembly, one connection, in this process. */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly pglite: PGlite;

  private constructor(instance: PGlite) {
    this.pglite = instance;
  }

  static async open(opts: PgliteDatabaseOptions = {}): Promise<PgliteDatabase> {
    // Loaded on first use only: PGlite's WebAssembly module costs a worker on real PostgreSQL ~40 MB of RSS.
    const { PGlite } = await import('@electric-sql/pglite');
    const instance = opts.instance ?? (opts.dataDir ? new PGlite(opts.dataDir) : new PGlite());
    await instance.waitReady;
    return new PgliteDatabase(instance);
  }

  async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    const r = await this.pglite.query<T>(sql, params as unknown[]);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pglite.transaction(async (t) => {
      const tx: Queryable = {
        query: async <R>(sql: string, params?: unknown[]) => {
          const r = await t.query<R>(sql, params as unknown[]);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
      };
      return fn(tx);
    });
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<Unlisten> {
    const unsub = await this.pglite.listen(channel, onPayload);
    return async () => {
      await unsub();
    };
  }

  async close(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}
