import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Database } from './database.ts';
import { PgDatabase } from './pg-database.ts';
import { PgliteDatabase } from './pglite-database.ts';

export interface OpenDatabaseOptions {
  /** A postgres:// URL; when absent the embedded database is used. */
  url?: string;
  /** Where the embedded database keeps its files (default ./.jobfleet). Ignored with a URL. */
  dataDir?: string;
  /** Embedded and in memory only: for tests. */
  memory?: boolean;
  poolSize?: number;
  onError?: (err: Error) => void;
}

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<Database> {
  if (opts.url) {
    const db = new PgDatabase({ connectionString: opts.url, max: opts.poolSize, onError: opts.onError });
    return db;
  }
  if (opts.memory) return PgliteDatabase.open();
  const dir = path.resolve(opts.dataDir ?? '.jobfleet', 'pgdata');
  mkdirSync(dir, { recursive: true });
  return PgliteDatabase.open({ dataDir: dir });
}
