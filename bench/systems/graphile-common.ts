import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker';
import type { BenchPayload, BenchSystem, SessionResources } from '../types.ts';

const JOB = 'bench_noop';
const CHUNK = 10_000;
const silent = new Logger(() => () => {});

export interface GraphileVariant {
  id: string;
  label: string;
  /** preset.worker options beyond the runner's; {} keeps the library defaults (no batching). */
  batching: { localQueue?: { size: number }; completeJobBatchDelay?: number; failJobBatchDelay?: number };
  note?: string;
  maxDrainJobs?: number;
}

/** graphile-worker 0.17.3 in this process: WorkerUtils.addJobs for bulk, addJob for single enqueues. */
export function graphileSystem(v: GraphileVariant): BenchSystem {
  let url = '';
  let onJob: (p: unknown) => void | Promise<void> = () => {};
  let utils: WorkerUtils | null = null;
  let runner: Runner | null = null;
  const defaultPool = 25;
  let maxPoolSize = defaultPool;
  const u = (): WorkerUtils => {
    if (!utils) throw new Error('graphile-worker session is not set up.');
    return utils;
  };
  return {
    id: v.id,
    label: v.label,
    backend: 'postgresql',
    version: 'graphile-worker 0.17.3',
    settings: {
      concurrentJobs: '= concurrency (24)',
      maxPoolSize: defaultPool,
      ...(Object.keys(v.batching).length
        ? v.batching
        : { localQueue: 'off (default)', completeJobBatchDelay: '-1 (default)', failJobBatchDelay: '-1 (default)' }),
      addJobs: `${CHUNK} per call`,
    },
    note: v.note,
    ...(v.maxDrainJobs ? { maxDrainJobs: v.maxDrainJobs } : {}),
    async setup(res: SessionResources) {
      if (!res.databaseUrl) throw new Error('graphile-worker needs a database URL.');
      url = res.databaseUrl;
      onJob = res.onJob;
      maxPoolSize = Math.min(defaultPool, res.poolSize ?? defaultPool);
      utils = await makeWorkerUtils({ connectionString: url, logger: silent });
      await utils.migrate();
    },
    async enqueueBulk(from, n) {
      for (let s = 0; s < n; s += CHUNK) {
        const len = Math.min(CHUNK, n - s);
        await u().addJobs(Array.from({ length: len }, (_, k) => ({ identifier: JOB, payload: { i: from + s + k } })));
      }
    },
    async analyze() {
      await u().withPgClient((c) => c.query('ANALYZE'));
    },
    async startWorkers(concurrency) {
      runner = await run({
        connectionString: url,
        concurrency,
        maxPoolSize,
        noHandleSignals: true,
        logger: silent,
        taskList: {
          [JOB]: async (payload) => {
            const pending = onJob(payload);
            if (pending) await pending;
          },
        },
        preset: { worker: { ...v.batching } },
      });
    },
    async remaining() {
      const r = await u().withPgClient((c) =>
        c.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker._private_jobs'),
      );
      return r.rows[0]?.n ?? -1;
    },
    async completed(enqueued) {
      // graphile-worker deletes a job when it completes: what is gone completed (failures stay, with last_error).
      return enqueued - (await this.remaining());
    },
    async latencyProbe(payload: BenchPayload) {
      await u().addJob(JOB, payload);
    },
    async teardown() {
      await runner?.stop().catch(() => {});
      runner = null;
      await utils?.release();
      utils = null;
    },
  };
}
