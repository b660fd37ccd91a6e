/**
 * The service under load: `jobfleet start` (API + worker + maintenance in one process) on a fresh
 * PostgreSQL database, and the credentials the traffic uses, obtained through the API as a user would.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createTestDatabase, type TestDatabase } from '@jobfleet/core/testing';
import { freePort, http, startCli, type Proc } from '../../../core/test/chaos/helpers.ts';

export interface Service {
  db: TestDatabase;
  proc: Proc;
  base: string;
  /** API key of a member (scopes jobs:read, jobs:write): submissions and status polls. */
  apiKey: string;
  /** Access token (JWT) of the same member: listings and event streams. */
  token: string;
  stop(): Promise<void>;
}

/**
 * Worker slots. The follows' jobs sleep 1–3 s: at ~40 follows/s they alone hold ~80 slots, and with 50 the
 * queue grew until a stream waited 30 s for its job to start. The jobs only wait on timers, so slots are cheap.
 */
const CONCURRENCY = 250;

/** `extraEnv` reaches the server process as is (e.g. NODE_OPTIONS=--import <a profiler hook>, to see where its time goes). */
export async function startService(extraEnv: Record<string, string> = {}): Promise<Service> {
  const db = await createTestDatabase('jobfleet_load');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = startCli(['start'], {
    DATABASE_URL: db.url,
    PORT: String(port),
    JOBFLEET_CONCURRENCY: String(CONCURRENCY),
    JOBFLEET_ADMIN_EMAIL: 'admin@load.test',
    // Admins create the users: the test goes through user administration rather than open sign-up.
    JOBFLEET_OPEN_REGISTRATION: 'false',
    // The documented ceiling (10,000,000/min per principal): the test measures the engine, not the limiter.
    JOBFLEET_RATE_LIMIT: '10000000',
    // The member's JWT must outlive calibration + warm-up + ten minutes + drain (the default is 15 min).
    JOBFLEET_ACCESS_TOKEN_TTL: '7200',
    ...extraEnv,
  });
  try {
    await proc.waitForOutput(/listening on http/);
    const password = (await proc.waitForOutput(/password:\s+(\S+)/))[1]!;
    const { apiKey, token } = await memberCredentials(base, password);
    return {
      db,
      proc,
      base,
      apiKey,
      token,
      stop: async () => {
        await proc.stop('SIGTERM', 20_000);
        await db.drop();
      },
    };
  } catch (err) {
    await proc.stop('SIGKILL', 5000);
    await db.drop();
    throw err;
  }
}

/** Admin signs in and creates a member; the member signs in and creates an API key. */
async function memberCredentials(base: string, adminPassword: string): Promise<{ apiKey: string; token: string }> {
  const expect2xx = (what: string, r: { status: number; body: any }) => {
    if (r.status < 200 || r.status > 299) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const admin = expect2xx(
    'admin login',
    await http(base, 'POST', '/api/v1/auth/login', { body: { email: 'admin@load.test', password: adminPassword } }),
  );
  const member = { email: 'load@load.test', password: 'load-test-password-123456' };
  expect2xx(
    'create member',
    await http(base, 'POST', '/api/v1/users', { token: admin.token, body: { ...member, name: 'Load', role: 'member' } }),
  );
  const session = expect2xx('member login', await http(base, 'POST', '/api/v1/auth/login', { body: member }));
  const key = expect2xx(
    'create API key',
    await http(base, 'POST', '/api/v1/api-keys', {
      token: session.token,
      body: { name: 'load', scopes: ['jobs:read', 'jobs:write'] },
    }),
  );
  return { apiKey: key.key, token: session.token };
}

/** Resident set size of a process, in MiB (Linux: /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/** The machine's 1 / 5 / 15-minute load averages: figures to print beside the latencies (2 cores, shared). */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}
