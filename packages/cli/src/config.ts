/**
 * The CLI's configuration: environment variables, overridden by command-line flags.
 *
 * | Variable                    | Flag                    | Default                      | Meaning                                                        |
 * |-----------------------------|-------------------------|------------------------------|----------------------------------------------------------------|
 * | `DATABASE_URL`              | `--database-url <url>`  | (none: embedded PGlite)      | postgres:// URL of a real PostgreSQL. Without it, an embedded  |
 * |                             |                         |                              | PGlite database is kept under `JOBFLEET_DATA_DIR` (one process) |
 * | `JOBFLEET_DATA_DIR`         | `--data-dir <dir>`      | `./.jobfleet`                | Folder of the embedded database (kept across restarts)         |
 * | `JOBFLEET_SCHEMA`           | `--schema <name>`       | `jobfleet`                   | PostgreSQL schema holding Jobfleet's tables                    |
 * | `PORT`                      | `--port <n>`            | `3000`                       | HTTP port (`start`, `api`); 0 picks a free one                  |
 * | `HOST`                      | `--host <addr>`         | `127.0.0.1`                  | Interface to listen on; `0.0.0.0` to accept remote clients     |
 * | `JOBFLEET_CONCURRENCY`      | `--concurrency <n>`     | `10`                         | Jobs a worker runs at once (1–1000)                            |
 * | `JOBFLEET_QUEUES`           | `--queues <a,b>`        | queues of the job types      | Queues the worker serves                                       |
 * | `JOBFLEET_JOBS_DIR`         | `--jobs <folder>`       | (none)                       | Folder of modules exporting job types, added to the examples   |
 * | `JOBFLEET_SHUTDOWN_GRACE_MS`| `--grace-ms <ms>`       | `10000`                      | On SIGTERM, how long running jobs may take to finish           |
 * | `JOBFLEET_PROCESSES`        | `--processes <n>`       | `1`                          | Copies of a role under one supervisor (1–64; PostgreSQL only)  |
 * | `JOBFLEET_ADMIN_EMAIL`      |                         | (the server's default)       | Email of the admin created on first start                       |
 * | `LOG_LEVEL`                 | `--log-level <level>`   | `info`                       | fatal, error, warn, info, debug, trace or silent               |
 * | `JOBFLEET_DISPATCH`         | `--dispatch <kind>`     | `postgres`                   | How workers learn of jobs: `postgres` or `rabbitmq`            |
 * | `AMQP_URL`                  | `--amqp-url <url>`      | `amqp://guest:guest@127.0.0.1:5672` | RabbitMQ, with `rabbitmq` dispatch                      |
 * | `JOBFLEET_AMQP_PREFIX`      |                         | `jobfleet`                   | First part of RabbitMQ exchange and queue names                 |
 * | `JOBFLEET_AMQP_QUORUM`      |                         | `false`                      | Quorum queues instead of classic priority queues                |
 *
 * The server reads its own settings (registration, token lifetimes, CORS, …) from the environment
 * through `loadServerConfig(process.env)` in @jobfleet/server.
 */
import path from 'node:path';
import { dispatchFromEnv, type DispatchConfig } from '@jobfleet/core';
import { sanitize, UsageError } from './errors.ts';

export { sanitize };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface CliConfig {
  databaseUrl: string | undefined;
  dataDir: string;
  schema: string;
  port: number;
  host: string;
  concurrency: number;
  queues: string[] | undefined;
  jobsDir: string | undefined;
  graceMs: number;
  /** Copies of a role run under one supervisor (node:cluster); 1: this process runs it. */
  processes: number;
  adminEmail: string | undefined;
  logLevel: LogLevel;
  dispatch: DispatchConfig;
}

/** Flags as commander hands them over (strings, before validation). */
export interface ConfigFlags {
  databaseUrl?: string;
  dataDir?: string;
  schema?: string;
  port?: string;
  host?: string;
  concurrency?: string;
  queues?: string;
  jobs?: string;
  graceMs?: string;
  processes?: string;
  logLevel?: string;
  dispatch?: string;
  amqpUrl?: string;
}

type Env = Record<string, string | undefined>;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;
const QUEUE_NAME = /^[A-Za-z0-9][\w.:-]{0,63}$/;

/** Resolves and validates configuration; throws UsageError naming the flag or variable at fault. */
export function loadConfig(flags: ConfigFlags = {}, env: Env = process.env): CliConfig {
  const pick = (flag: string | undefined, name: string): { value: string | undefined; source: string } => {
    if (flag !== undefined) return { value: flag, source: `--${kebab(name)}` };
    return { value: nonEmpty(env[ENV_NAMES[name] as string]), source: ENV_NAMES[name] as string };
  };

  const db = pick(flags.databaseUrl, 'databaseUrl');
  if (db.value !== undefined && !/^postgres(ql)?:\/\//i.test(db.value)) {
    throw new UsageError(`${db.source} must be a postgres:// or postgresql:// URL.`);
  }

  const schema = pick(flags.schema, 'schema');
  const schemaName = schema.value ?? 'jobfleet';
  if (!SCHEMA_NAME.test(schemaName)) {
    throw new UsageError(
      `${schema.source} "${clip(schemaName)}" is not a valid schema name: use lower-case letters, digits and _, starting with a letter.`,
    );
  }

  const queues = pick(flags.queues, 'queues');
  let queueList: string[] | undefined;
  if (queues.value !== undefined) {
    queueList = queues.value
      .split(',')
      .map((q) => q.trim())
      .filter(Boolean);
    if (queueList.length === 0) throw new UsageError(`${queues.source} names no queue.`);
    const bad = queueList.find((q) => !QUEUE_NAME.test(q));
    if (bad !== undefined) {
      throw new UsageError(`${queues.source}: "${clip(bad)}" is not a valid queue name (1–64 letters, digits, _ . : -).`);
    }
  }

  const level = pick(flags.logLevel, 'logLevel');
  const logLevel = (level.value ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`${level.source} must be one of ${LOG_LEVELS.join(', ')}.`);
  }

  const host = pick(flags.host, 'host');
  if (host.value !== undefined && !/^[\w.:[\]-]{1,255}$/.test(host.value)) {
    throw new UsageError(`${host.source} "${clip(host.value)}" is not a host name or address.`);
  }

  const jobs = pick(flags.jobs, 'jobsDir');
  const dataDir = pick(flags.dataDir, 'dataDir');

  const dispatchKind = pick(flags.dispatch, 'dispatch');
  const amqpUrl = pick(flags.amqpUrl, 'amqpUrl');
  const kind = dispatchKind.value?.trim().toLowerCase();
  if (kind !== undefined && kind !== 'postgres' && kind !== 'rabbitmq')
    throw new UsageError(`${dispatchKind.source} must be postgres or rabbitmq, not "${clip(dispatchKind.value as string)}".`);
  if (amqpUrl.value !== undefined && !/^amqps?:\/\/[^\s]+$/.test(amqpUrl.value.trim()))
    throw new UsageError(`${amqpUrl.source} must be an amqp:// or amqps:// URL.`);
  let dispatch: DispatchConfig;
  try {
    dispatch = dispatchFromEnv({ ...env, JOBFLEET_DISPATCH: kind, AMQP_URL: amqpUrl.value });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const processes = integer(pick(flags.processes, 'processes'), 1, 1, 64);
  if (processes > 1 && db.value === undefined) {
    throw new UsageError(
      `${pick(flags.processes, 'processes').source} > 1 needs a shared PostgreSQL (DATABASE_URL): the embedded database serves one process.`,
    );
  }
  if (dispatch.kind === 'rabbitmq' && db.value === undefined) {
    throw new UsageError(
      `${dispatchKind.source}=rabbitmq needs a shared PostgreSQL (DATABASE_URL): the embedded database serves one process.`,
    );
  }

  return {
    databaseUrl: db.value,
    dataDir: path.resolve(dataDir.value ?? '.jobfleet'),
    schema: schemaName,
    port: integer(pick(flags.port, 'port'), 3000, 0, 65535),
    host: host.value ?? '127.0.0.1',
    concurrency: integer(pick(flags.concurrency, 'concurrency'), 10, 1, 1000),
    queues: queueList,
    jobsDir: jobs.value,
    graceMs: integer(pick(flags.graceMs, 'graceMs'), 10_000, 0, 3_600_000),
    processes,
    adminEmail: nonEmpty(env.JOBFLEET_ADMIN_EMAIL),
    logLevel: logLevel as LogLevel,
    dispatch,
  };
}

const ENV_NAMES: Record<string, string> = {
  databaseUrl: 'DATABASE_URL',
  dataDir: 'JOBFLEET_DATA_DIR',
  schema: 'JOBFLEET_SCHEMA',
  port: 'PORT',
  host: 'HOST',
  concurrency: 'JOBFLEET_CONCURRENCY',
  queues: 'JOBFLEET_QUEUES',
  jobsDir: 'JOBFLEET_JOBS_DIR',
  graceMs: 'JOBFLEET_SHUTDOWN_GRACE_MS',
  processes: 'JOBFLEET_PROCESSES',
  logLevel: 'LOG_LEVEL',
  dispatch: 'JOBFLEET_DISPATCH',
  amqpUrl: 'AMQP_URL',
};

function kebab(name: string): string {
  if (name === 'jobsDir') return 'jobs';
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** Parses a whole decimal number within bounds (rejects "10abc", "1e3", "0x10", " "). */
export function parseInteger(raw: string, what: string, min: number, max: number): number {
  const s = raw.trim();
  if (!/^[+-]?\d+$/.test(s)) throw new UsageError(`${what} must be a whole number, not "${clip(raw)}".`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${what} must be between ${min} and ${max}, not ${clip(raw)}.`);
  return n;
}

function integer(v: { value: string | undefined; source: string }, fallback: number, min: number, max: number): number {
  return v.value === undefined ? fallback : parseInteger(v.value, v.source, min, max);
}

/** Shortens and de-fangs user input quoted back in a message. */
export function clip(s: string, max = 60): string {
  const clean = sanitize(s);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** True when the engine will use the embedded database. */
export function isEmbedded(config: CliConfig): boolean {
  return config.databaseUrl === undefined;
}
