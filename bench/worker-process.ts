/**
 * One worker process of one system, for the workloads that measure workers apart from the process
 * that enqueues (scale-out, memory). bench/worker-fleet.ts spawns it with an IPC channel:
 *   node --import tsx bench/worker-process.ts <system id> '<WorkerProcessOptions JSON>'
 * It connects, reports `ready`, starts its workers on `start`, answers `count`, and on `stop` shuts
 * down and sends `final` (jobs done, which job indices ran, its memory) before exiting.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { feed } from './feed.ts';
import { RssSampler, type MemoryStats } from './memory.ts';
import { LOAD_SYSTEM } from './systems/load.ts';
import type { BenchPayload, SessionResources } from './types.ts';

export interface WorkerProcessOptions {
  place: Omit<SessionResources, 'onJob' | 'poolSize'>;
  concurrency: number;
  /** Each job waits this long (I/O-bound work); 0: a no-op. */
  jobMs: number;
  /** Connection budget of this process (PostgreSQL systems). */
  poolSize?: number;
  /** Job indices run 0 … expect-1 (the size of the "seen" map). */
  expect: number;
  /** For the embedded database, which no other process can reach: enqueue here, `rate` jobs/s. */
  selfFeed?: { rate: number };
}

export type ToWorker = { op: 'start' } | { op: 'count'; seq: number } | { op: 'stop' };
export type FromWorker =
  | { op: 'ready' }
  | { op: 'count'; seq: number; done: number }
  | { op: 'final'; done: number; fed: number; stray: number; seen: string; memory: MemoryStats; error?: string };

function send(m: FromWorker): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) reject(new Error('no IPC channel'));
    else process.send(m, undefined, {}, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

async function main(): Promise<void> {
  const [id, json] = process.argv.slice(2);
  const load = id ? LOAD_SYSTEM[id] : undefined;
  if (!load || !json || !process.send) throw new Error('usage: spawned by bench/worker-fleet.ts with an IPC channel');
  const factory = await load();
  const opts = JSON.parse(json) as WorkerProcessOptions;
  // The session process is gone (killed after its time limit): nothing will stop this one otherwise.
  process.on('disconnect', () => process.exit(1));
  const sampler = new RssSampler();
  const seen = new Uint8Array(opts.expect);
  let done = 0;
  let stray = 0;
  const mark = (payload: unknown): void => {
    const i = (payload as BenchPayload | null)?.i;
    if (typeof i === 'number' && i >= 0 && i < seen.length) seen[i] = Math.min(255, (seen[i] as number) + 1);
    else stray++;
  };
  const onJob =
    opts.jobMs > 0
      ? async (payload: unknown): Promise<void> => {
          mark(payload);
          await sleep(opts.jobMs);
          done++;
        }
      : (payload: unknown): void => {
          mark(payload);
          done++;
        };

  const system = factory();
  await system.setup({ ...opts.place, onJob, ...(opts.poolSize ? { poolSize: opts.poolSize } : {}) });
  sampler.markBaseline();
  let startedAt = 0;
  let feeding = false;
  let fed: Promise<number> = Promise.resolve(0);
  let error: string | undefined;

  process.on('message', (m: ToWorker) => {
    if (m.op === 'start') {
      startedAt = sampler.now();
      void system.startWorkers(opts.concurrency).then(
        () => {
          if (opts.selfFeed) {
            feeding = true;
            fed = feed(
              opts.selfFeed.rate,
              () => feeding,
              (from, n) => system.enqueueBulk(from, n),
              opts.expect,
            );
          }
        },
        (err: unknown) => (error = `startWorkers: ${(err as Error).message}`),
      );
    } else if (m.op === 'count') {
      void send({ op: 'count', seq: m.seq, done });
    } else if (m.op === 'stop') {
      feeding = false;
      const stoppedAt = sampler.now();
      void (async () => {
        const fedJobs = await fed.catch((err: unknown) => {
          error ??= `feed: ${(err as Error).message}`;
          return 0;
        });
        await system.teardown().catch((err: unknown) => (error ??= `teardown: ${(err as Error).message}`));
        sampler.stop();
        const memory = sampler.stats({ from: startedAt, to: stoppedAt });
        await send({
          op: 'final',
          done,
          fed: fedJobs,
          stray,
          seen: Buffer.from(seen).toString('base64'),
          memory,
          ...(error ? { error } : {}),
        });
        process.exit(0);
      })();
    }
  });
  await send({ op: 'ready' });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
