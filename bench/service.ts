import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'packages', 'cli', 'bin', 'jobfleet.mjs');

/** The settings the HTTP workload runs the service with (printed with its table). */
export const SERVICE_ENV = {
  // The per-user/API-key limit is 6,000 requests a minute by default; 10,000,000 is the most the
  // server accepts (packages/server/src/config.ts), far above what one client reaches here.
  JOBFLEET_RATE_LIMIT: '10000000',
  // Fastify logs every request at info; warn keeps per-request logging out of the measurement.
  LOG_LEVEL: 'warn',
  JOBFLEET_SHUTDOWN_GRACE_MS: '2000',
} as const;

export interface RunningService {
  baseUrl: string;
  pid: number;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the real service, `jobfleet api` (HTTP API and maintenance, no worker) from packages/cli,
 * on the given database and a free port, and resolves once it listens. `role: 'start'` adds the
 * embedded worker and scheduler. Its stdout is read for the URL only (it also prints the first
 * admin's password, which is not kept).
 */
export async function startService(
  databaseUrl: string,
  role: 'api' | 'start' = 'api',
  timeoutMs = 120_000,
  processes = 1,
): Promise<RunningService> {
  // JOBFLEET_BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the service
  // (node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = (process.env.JOBFLEET_BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, CLI, role, '--port', '0', '--host', '127.0.0.1', '--processes', String(processes)],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...SERVICE_ENV,
        DATABASE_URL: databaseUrl,
        JOBFLEET_JWT_SECRET: randomBytes(32).toString('hex'),
        JOBFLEET_ADMIN_EMAIL: 'bench-admin@example.com',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    let found = false;
    const timer = setTimeout(
      () => reject(new Error(`jobfleet ${role} did not listen within ${timeoutMs} ms: ${stderr.trim()}`)),
      timeoutMs,
    );
    // Keep reading stdout after the URL so that the pipe never fills and blocks the service.
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      if (found) return;
      out += s;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        found = true;
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`jobfleet ${role} exited (${signal ?? `exit ${code}`}) before listening: ${stderr.trim()}`));
    });
  }).catch((err: unknown) => {
    kill(child);
    throw err;
  });
  return {
    baseUrl,
    pid: child.pid as number,
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => kill(child), 20_000);
      const r = await exited;
      clearTimeout(killer);
      return r;
    },
  };
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
