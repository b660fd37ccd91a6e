/**
 * Test support shared by every package: throwaway databases on the machine's real PostgreSQL.
 * Locally, when PostgreSQL is unreachable, suites that need it skip with a printed reason;
 * under CI=true they fail instead, so that a green CI always means the real thing ran.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const ADMIN_URL = process.env.JOBFLEET_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function probe(): Promise<string | null> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

const problem = await probe();
if (problem) {
  const msg = `PostgreSQL at ${ADMIN_URL} is unreachable (${problem}).`;
  if (process.env.CI) throw new Error(`${msg} CI needs it: start it with the command in ../shared/DESIGN.md.`);
  console.warn(`SKIPPING real-PostgreSQL tests: ${msg}`);
}

/** True when the real PostgreSQL can be used; use with describe.runIf / describe.skipIf. */
export const pgAvailable = problem === null;

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates an empty database of its own for one suite; drop() removes it (ending its connections). */
export async function createTestDatabase(prefix = 'jobfleet_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** Polls until fn returns a truthy value or the time is up. */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: T;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${opts.what ?? 'a condition'}.`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}

/** Variables that would point a child process at another database, port, queue set or log format. */
const CHILD_ENV_DROPPED = [
  'DATABASE_URL',
  'JOBFLEET_DATA_DIR',
  'JOBFLEET_SCHEMA',
  'PORT',
  'HOST',
  'JOBFLEET_QUEUES',
  'JOBFLEET_CONCURRENCY',
  'JOBFLEET_JOBS_DIR',
  'LOG_LEVEL',
  'NODE_OPTIONS',
  'FORCE_COLOR',
];

/** Env for a child process a test starts: the parent's, minus CHILD_ENV_DROPPED, plus `extra`; never coloured. */
export function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of CHILD_ENV_DROPPED) delete env[k];
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  env.NO_COLOR = '1';
  return env;
}
