import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { PgDatabase } from '@jobfleet/core';
import { deleteSessionBroker, usesBroker } from './broker.ts';
import type { Backend, SessionResources } from './types.ts';

export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_HOST = process.env.BENCH_REDIS_HOST ?? '127.0.0.1';
export const REDIS_PORT = Number(process.env.BENCH_REDIS_PORT ?? 6379);
/** The Redis logical database the BullMQ sessions use; it is flushed before each one. */
export const REDIS_DB = Number(process.env.BENCH_REDIS_DB ?? 9);

export interface Prepared {
  res: Omit<SessionResources, 'onJob'>;
  cleanup: () => Promise<void>;
}

function dbUrl(name: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function withAdmin<T>(fn: (db: PgDatabase) => Promise<T>): Promise<T> {
  const db = new PgDatabase({ connectionString: PG_ADMIN_URL, max: 1 });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A session's database: `bench_<system>_<8 hex>` (bench/broker.ts and dropLeftoverDatabases read the pattern). */
export function sessionDatabaseName(systemId: string): string {
  return `bench_${systemId.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
}

/** A fresh database (`bench_<system>_<rand>`, dropped after) or a flushed Redis DB. */
export async function prepare(backend: Backend, systemId: string): Promise<Prepared> {
  if (backend === 'postgresql') {
    const name = sessionDatabaseName(systemId);
    await withAdmin((db) => db.query(`CREATE DATABASE ${name}`));
    return {
      res: { databaseUrl: dbUrl(name) },
      cleanup: () => dropSessionDatabase(name),
    };
  }
  if (backend === 'redis') {
    const flush = async (): Promise<void> => {
      const r = new Redis({ host: REDIS_HOST, port: REDIS_PORT, db: REDIS_DB, lazyConnect: true });
      await r.connect();
      await r.flushdb();
      await r.quit();
    };
    await flush();
    return { res: { redis: { host: REDIS_HOST, port: REDIS_PORT, db: REDIS_DB } }, cleanup: flush };
  }
  return { res: {}, cleanup: async () => {} };
}

/** PostgreSQL server version, for the report. */
export async function postgresVersion(): Promise<string> {
  try {
    return await withAdmin(
      async (db) => (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?',
    );
  } catch {
    return 'unavailable';
  }
}

export async function redisVersion(): Promise<string> {
  try {
    const r = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    const info = await r.info('server');
    await r.quit();
    return /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
  } catch {
    return 'unavailable';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Drops a session's database and, for a system on RabbitMQ dispatch, the broker queues named after it. */
async function dropSessionDatabase(name: string): Promise<void> {
  await withAdmin((db) => db.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  if (usesBroker(name)) await deleteSessionBroker(name);
}

/**
 * Drops what killed sessions left behind (databases named like ours, bench_<system>_<8 hex>, and their
 * broker queues). Run after a session fails, while no other runs: a backlog of hundreds of thousands of
 * messages otherwise stayed in RabbitMQ for the rest of the run.
 */
export async function dropLeftoverDatabases(): Promise<string[]> {
  const names = await withAdmin(async (db) => {
    const { rows } = await db.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname ~ '^bench_[a-z0-9_]+_[0-9a-f]{8}$'`,
    );
    return rows.map((r) => r.datname);
  });
  for (const name of names) await dropSessionDatabase(name);
  return names;
}
