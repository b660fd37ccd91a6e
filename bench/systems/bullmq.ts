import { Queue, Worker } from 'bullmq';
import type { BenchPayload, BenchSystem, SessionResources } from '../types.ts';

const JOB = 'bench_noop';
const QUEUE = 'bench';
const CHUNK = 10_000;

/** BullMQ 6.7.0 on Redis: Queue.addBulk for bulk, add for single, one Worker with concurrency. Completed jobs are kept (the default). */
export default function bullmq(): BenchSystem {
  let connection: { host: string; port: number; db: number; maxRetriesPerRequest: null } | null = null;
  let queue: Queue | null = null;
  let worker: Worker | null = null;
  let onJob: (p: unknown) => void | Promise<void> = () => {};
  const q = (): Queue => {
    if (!queue) throw new Error('BullMQ session is not set up.');
    return queue;
  };
  return {
    id: 'bullmq',
    label: 'BullMQ (Redis)',
    backend: 'redis',
    version: 'bullmq 6.7.0 + ioredis 5.9.2',
    settings: { concurrency: '= concurrency (24)', addBulk: `${CHUNK} per call`, removeOnComplete: 'false (default)' },
    async setup(res: SessionResources) {
      if (!res.redis) throw new Error('BullMQ needs Redis.');
      onJob = res.onJob;
      connection = { ...res.redis, maxRetriesPerRequest: null };
      queue = new Queue(QUEUE, { connection });
      await queue.waitUntilReady();
    },
    async enqueueBulk(from, n) {
      for (let s = 0; s < n; s += CHUNK) {
        const len = Math.min(CHUNK, n - s);
        await q().addBulk(Array.from({ length: len }, (_, k) => ({ name: JOB, data: { i: from + s + k } })));
      }
    },
    async analyze() {},
    async startWorkers(concurrency) {
      if (!connection) throw new Error('BullMQ session is not set up.');
      worker = new Worker(
        QUEUE,
        async (job) => {
          const pending = onJob(job.data);
          if (pending) await pending;
          return null;
        },
        { connection, concurrency },
      );
      worker.on('error', (e) => console.error('BullMQ worker error:', e.message));
      await worker.waitUntilReady();
    },
    async remaining() {
      const c = await q().getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      return Object.values(c).reduce((a, b) => a + b, 0);
    },
    async completed() {
      return (await q().getJobCounts('completed')).completed ?? -1;
    },
    async latencyProbe(payload: BenchPayload) {
      await q().add(JOB, payload);
    },
    async teardown() {
      await worker?.close().catch(() => {});
      await queue?.close().catch(() => {});
      worker = null;
      queue = null;
    },
  };
}
