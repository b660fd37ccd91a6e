import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MemoryStats } from './memory.ts';
import { cpuMs } from './proc.ts';
import { duplicatesIn, mergeSeen } from './stats.ts';
import type { FromWorker, ToWorker, WorkerProcessOptions } from './worker-process.ts';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker-process.ts');
const ROOT = path.resolve(path.dirname(WORKER), '..');

export interface FleetOutcome {
  done: number;
  /** Jobs the workers enqueued themselves (self-feeding embedded database). */
  fed: number;
  distinct: number;
  duplicates: number;
  stray: number;
  /** One entry per worker process. */
  memory: MemoryStats[];
  errors: string[];
}

/** Worker processes of one system (bench/worker-process.ts), driven over IPC from the session process. */
export class WorkerFleet {
  private seq = 0;
  private readonly waiting = new Map<number, { left: number; sum: number; resolve: (n: number) => void }>();
  private readonly finals: Extract<FromWorker, { op: 'final' }>[] = [];
  private readonly exited: Promise<void>[];

  /** CPU time the worker processes have used so far, ms (those that have exited count as zero). */
  cpuMs(): number {
    return this.children.reduce((sum, c) => sum + ((c.pid !== undefined ? cpuMs(c.pid) : null) ?? 0), 0);
  }

  private constructor(
    private readonly children: ChildProcess[],
    private readonly expect: number,
  ) {
    this.exited = children.map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
    for (const c of children) {
      c.on('message', (m: FromWorker) => {
        if (m.op === 'count') {
          const w = this.waiting.get(m.seq);
          if (!w) return;
          w.sum += m.done;
          if (--w.left === 0) {
            this.waiting.delete(m.seq);
            w.resolve(w.sum);
          }
        } else if (m.op === 'final') this.finals.push(m);
      });
    }
  }

  /** Spawns `processes` workers and resolves once every one is connected and ready (its baseline RSS taken). */
  static async start(
    systemId: string,
    processes: number,
    opts: WorkerProcessOptions,
    readyTimeoutMs = 120_000,
  ): Promise<WorkerFleet> {
    // JOBFLEET_BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles each worker process.
    const nodeArgs = (process.env.JOBFLEET_BENCH_WORKER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const children = Array.from({ length: processes }, () =>
      spawn(process.execPath, [...nodeArgs, '--import', 'tsx', WORKER, systemId, JSON.stringify(opts)], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      }),
    );
    const fleet = new WorkerFleet(children, opts.expect);
    const ready = children.map(
      (c, k) =>
        new Promise<void>((resolve, reject) => {
          c.on('message', (m: FromWorker) => m.op === 'ready' && resolve());
          c.once('exit', (code, signal) =>
            reject(new Error(`worker process ${k + 1} exited (${signal ?? `exit ${code}`}) before it was ready`)),
          );
          c.once('error', reject);
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`worker processes not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
    });
    try {
      await Promise.race([Promise.all(ready), timeout]);
    } catch (err) {
      fleet.kill();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return fleet;
  }

  go(): void {
    this.broadcast({ op: 'start' });
  }

  /** Jobs finished so far across all processes (one IPC round trip, no database query); rejects if a process does not answer. */
  done(timeoutMs = 10_000): Promise<number> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`a worker process did not answer within ${timeoutMs} ms (died or stalled)`));
      }, timeoutMs);
      const settle = (n: number): void => {
        clearTimeout(timer);
        resolve(n);
      };
      this.waiting.set(seq, { left: this.children.length, sum: 0, resolve: settle });
      this.broadcast({ op: 'count', seq });
    });
  }

  /** Asks every process to stop (graceful shutdown of its workers) and collects what each ran; kills stragglers. */
  async stop(timeoutMs = 30_000): Promise<FleetOutcome> {
    this.broadcast({ op: 'stop' });
    const killer = setTimeout(() => this.kill(), timeoutMs);
    await Promise.all(this.exited);
    clearTimeout(killer);
    const counts = new Uint8Array(this.expect);
    for (const f of this.finals) mergeSeen(counts, new Uint8Array(Buffer.from(f.seen, 'base64')));
    const errors = this.finals.filter((f) => f.error).map((f) => f.error as string);
    const missing = this.children.length - this.finals.length;
    if (missing) errors.push(`${missing} worker process(es) did not report (killed after ${timeoutMs} ms)`);
    return {
      done: this.finals.reduce((a, f) => a + f.done, 0),
      fed: this.finals.reduce((a, f) => a + f.fed, 0),
      ...duplicatesIn(counts),
      stray: this.finals.reduce((a, f) => a + f.stray, 0),
      memory: this.finals.map((f) => f.memory),
      errors,
    };
  }

  kill(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  private broadcast(m: ToWorker): void {
    for (const c of this.children) if (c.connected) c.send(m);
  }
}
