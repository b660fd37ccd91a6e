/**
 * Shared support for the chaos suites: real processes (the `jobfleet` binary and a worker fixture),
 * a private PostgreSQL cluster that a test may stop and start, and the ledger that counts executions.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Database } from '../../src/index.ts';
import { childEnv } from '../../testing/index.ts';

const run = promisify(execFile);

/** The repository root: the binary runs from there. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN = path.join(ROOT, 'packages/cli/bin/jobfleet.mjs');
export const WORKER_FIXTURE = fileURLToPath(new URL('./fixtures/chaos-worker.ts', import.meta.url));
/** A `--jobs` folder holding the ledger job type, for `jobfleet worker|api`. */
export const LEDGER_JOBS_DIR = fileURLToPath(new URL('./fixtures/jobs/', import.meta.url));

/** Full forms (50,000 jobs, outage, scheduler) run only with JOBFLEET_CHAOS_FULL set (`npm run test:chaos`). */
export const FULL = !!process.env.JOBFLEET_CHAOS_FULL;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Prints a figure so that runs leave numbers behind (docs/reliability.md quotes them). */
export function figure(name: string, value: unknown): void {
  process.stdout.write(`[chaos] ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
}

export interface Proc {
  child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches re; rejects if the process exits first or the time is up. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** Sends a signal and waits for the exit (SIGKILL after timeoutMs). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node <args>` from the repository root and keeps its output. */
export function spawnNode(args: string[], env: Record<string, string | undefined>, label: string): Proc {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.length > 1_000_000) out = out.slice(-500_000);
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
    if (err.length > 1_000_000) err = err.slice(-500_000);
    if (process.env.JOBFLEET_TEST_CHILD_STDERR) process.stderr.write(`[${label} ${child.pid}] ${c}`);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    alive,
    waitForOutput: (re, timeoutMs = 90_000) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const tick = () => {
          const m = out.match(re);
          if (m) return resolve(m);
          if (!alive())
            return reject(
              new Error(
                `${label} exited (${child.exitCode ?? child.signalCode}) before printing ${re}.\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-4000)}`,
              ),
            );
          if (Date.now() > deadline)
            return reject(
              new Error(`${label}: timed out waiting for ${re}.\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-4000)}`),
            );
          setTimeout(tick, 50);
        };
        tick();
      }),
    stop: async (signal = 'SIGTERM', timeoutMs = 60_000) => {
      if (alive()) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

/** Runs the `jobfleet` binary (a long-running role). */
export function startCli(args: string[], env: Record<string, string | undefined>): Proc {
  return spawnNode([BIN, ...args], { LOG_LEVEL: 'warn', ...env }, `jobfleet ${args[0]}`);
}

/** Starts the worker fixture and waits for "ready". */
export async function startWorker(env: Record<string, string>): Promise<Proc> {
  const p = spawnNode(['--import', 'tsx', WORKER_FIXTURE], env, 'chaos-worker');
  await p.waitForOutput(/^ready$/m);
  return p;
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The ledger: one row per execution that reached the database. */
export async function createLedger(db: Database): Promise<void> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS public.ledger (job_id uuid NOT NULL, n int NOT NULL, pid int NOT NULL, attempt int NOT NULL,
                                  at timestamptz DEFAULT clock_timestamp())`,
  );
}

export interface LedgerCounts {
  jobs: number;
  completed: number;
  notCompleted: number;
  running: number;
  executions: number;
  distinctExecuted: number;
  /** Executions beyond the first, summed over jobs. */
  reexecutions: number;
  /** Jobs executed more than once. */
  reexecutedJobs: number;
}

export async function ledgerCounts(db: Database, schema = 'jobfleet'): Promise<LedgerCounts> {
  const { rows } = await db.query<LedgerCounts>(
    `SELECT (SELECT count(*)::int FROM ${schema}.jobs) AS jobs,
            (SELECT count(*)::int FROM ${schema}.jobs WHERE status = 'COMPLETED') AS "completed",
            (SELECT count(*)::int FROM ${schema}.jobs WHERE status <> 'COMPLETED') AS "notCompleted",
            (SELECT count(*)::int FROM ${schema}.jobs WHERE status = 'RUNNING') AS running,
            (SELECT count(*)::int FROM public.ledger) AS executions,
            (SELECT count(DISTINCT job_id)::int FROM public.ledger) AS "distinctExecuted",
            (SELECT (count(*) - count(DISTINCT job_id))::int FROM public.ledger) AS reexecutions,
            (SELECT count(*)::int FROM (SELECT job_id FROM public.ledger GROUP BY job_id HAVING count(*) > 1) d) AS "reexecutedJobs"`,
  );
  return rows[0]!;
}

/**
 * A PostgreSQL cluster of the test's own, which it may stop and start (the machine's own
 * PostgreSQL is never touched). initdb refuses root, so as root it runs as the postgres user.
 */
export class PrivateCluster {
  readonly dir: string;
  readonly port: number;
  private readonly bin = process.env.JOBFLEET_PG_BIN ?? '/usr/lib/postgresql/15/bin';
  private readonly asRoot = process.getuid?.() === 0;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  static async create(): Promise<PrivateCluster> {
    const dir = mkdtempSync(path.join(tmpdir(), 'jobfleet-chaos-pg-'));
    const c = new PrivateCluster(dir, await freePort());
    if (c.asRoot)
      chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout), Number((await run('id', ['-g', 'postgres'])).stdout));
    await c.exec('initdb', ['-D', c.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    return c;
  }

  /** True when the PostgreSQL server binaries are installed (initdb, pg_ctl). */
  static available(): boolean {
    return existsSync(path.join(process.env.JOBFLEET_PG_BIN ?? '/usr/lib/postgresql/15/bin', 'initdb'));
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private async exec(tool: string, args: string[]): Promise<string> {
    const file = path.join(this.bin, tool);
    const r = this.asRoot
      ? await run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: 120_000 })
      : await run(file, args, { timeout: 120_000 });
    return r.stdout;
  }

  async start(): Promise<void> {
    await this.exec('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      path.join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
      'start',
    ]);
  }

  /** Fast shutdown: sessions are ended at once, as when a database server goes down for a restart. */
  async stop(): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One JSON HTTP call; network errors come back as status 0 with the error's code. */
export async function http(
  base: string,
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; body: any; error?: string }> {
  try {
    const res = await fetch(base + url, {
      method,
      headers: {
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...opts.headers,
      },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body };
  } catch (err) {
    const e = err as { cause?: { code?: string }; name?: string; message?: string };
    return { status: 0, body: null, error: e.cause?.code ?? e.name ?? e.message ?? 'network error' };
  }
}

/** Registers a user over HTTP and signs in; returns the access token. */
export async function signIn(base: string, email: string): Promise<string> {
  const password = 'chaos-password-123456';
  const reg = await http(base, 'POST', '/api/v1/auth/register', { body: { email, password, name: 'Chaos' } });
  if (reg.status !== 201 && reg.status !== 409) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await http(base, 'POST', '/api/v1/auth/login', { body: { email, password } });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return (login.body as { token: string }).token;
}

/**
 * A TCP proxy a test can cut: every connection through it is destroyed and new ones are refused until
 * restored. Clients see what a broker or network outage looks like from their side.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const p = new TcpProxy(await freePort(), target);
    await p.listen();
    return p;
  }

  private listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  async restore(): Promise<void> {
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
