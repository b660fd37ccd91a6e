/** The narrow port between the engine and a database; the pg Pool and PGlite adapters implement it. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** Anything that runs a parameterised statement: the database, a transaction, or a caller's own pg client. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

export type Unlisten = () => Promise<void>;

export interface Database extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /** Runs fn inside BEGIN/COMMIT on one connection; rolls back when fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to a NOTIFY channel. Notifications only wake; nothing may depend on them arriving. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<Unlisten>;
  close(): Promise<void>;
}

/** Normalises the result of a foreign client (pg's QueryResult has rowCount: number | null). */
export async function runQuery<T>(q: Queryable, sql: string, params?: unknown[]): Promise<QueryResult<T>> {
  const r = await q.query<T>(sql, params);
  return { rows: r.rows, rowCount: r.rowCount ?? r.rows.length };
}

interface Preparing {
  prepared<T>(name: string, sql: string, params: unknown[]): Promise<QueryResult<T>>;
}

/** Runs a statement prepared by name where the database supports it (pg), plainly elsewhere. */
export function queryPrepared<T>(db: Queryable, name: string, sql: string, params: unknown[]): Promise<QueryResult<T>> {
  const p = db as Partial<Preparing>;
  return typeof p.prepared === 'function' ? p.prepared<T>(name, sql, params) : runQuery<T>(db, sql, params);
}
