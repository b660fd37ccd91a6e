import PgBoss from 'pg-boss';
import type { BenchPayload, BenchSystem, SessionResources } from '../types.ts';

const JOB = 'bench_noop';
const CHUNK = 10_000;
const POOL = 8;
const POLL_S = 0.5; // the minimum pg-boss 10 accepts

/** At most `slots` handlers at once across all of this process's pg-boss workers. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(slots: number) {
    this.free = slots;
  }
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

export interface PgBossVariant {
  id: string;
  label: string;
  /** work() calls: pg-boss 10 has no per-worker concurrency; each call is one polling loop that fetches batchSize jobs. */
  workers: number;
  batchSize: number;
  /** Drain size cap: at ~1,000 jobs/s a 200,000-job drain would take minutes; its rate does not depend on N. */
  maxDrainJobs?: number;
  note: string;
}

/** pg-boss 10.4.2: insert() for bulk, send() for single, work() with batchSize and the shortest polling interval. */
export function pgBossSystem(v: PgBossVariant): BenchSystem {
  const WORKERS = Number(process.env.BENCH_PGBOSS_WORKERS ?? v.workers);
  const BATCH = Number(process.env.BENCH_PGBOSS_BATCH ?? v.batchSize);
  let boss: PgBoss | null = null;
  let onJob: (p: unknown) => void = () => {};
  const b = (): PgBoss => {
    if (!boss) throw new Error('pg-boss session is not set up.');
    return boss;
  };
  const count = async (where: string): Promise<number> => {
    const r = await b().getDb().executeSql(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND ${where}`, [JOB]);
    return (r.rows[0] as { n: number } | undefined)?.n ?? -1;
  };
  return {
    id: v.id,
    label: v.label,
    backend: 'postgresql',
    version: 'pg-boss 10.4.2',
    settings: {
      max: POOL,
      'work() loops': WORKERS,
      batchSize: BATCH,
      pollingIntervalSeconds: POLL_S,
      'handler slots': '= concurrency (24), shared by the loops',
      supervise: false,
      schedule: false,
      insert: `${CHUNK} per call`,
    },
    note: v.note,
    ...(v.maxDrainJobs ? { maxDrainJobs: v.maxDrainJobs } : {}),
    latencyJitterMs: POLL_S * 1000,
    maxLatencySamples: Number(process.env.BENCH_PGBOSS_LATENCY_SAMPLES ?? 60),
    async setup(res: SessionResources) {
      if (!res.databaseUrl) throw new Error('pg-boss needs a database URL.');
      onJob = res.onJob;
      boss = new PgBoss({
        connectionString: res.databaseUrl,
        max: Math.min(POOL, res.poolSize ?? POOL),
        supervise: false,
        schedule: false,
        migrate: true,
      });
      boss.on('error', (e: Error) => console.error('pg-boss error:', e.message));
      await boss.start();
      await boss.createQueue(JOB);
    },
    async enqueueBulk(from, n) {
      for (let s = 0; s < n; s += CHUNK) {
        const len = Math.min(CHUNK, n - s);
        await b().insert(Array.from({ length: len }, (_, k) => ({ name: JOB, data: { i: from + s + k } })));
      }
    },
    async analyze() {
      await b().getDb().executeSql('ANALYZE', []);
    },
    async startWorkers(concurrency) {
      const slots = new Slots(concurrency);
      for (let w = 0; w < WORKERS; w++) {
        await b().work<BenchPayload>(JOB, { batchSize: BATCH, pollingIntervalSeconds: POLL_S }, async (jobs) => {
          await Promise.all(jobs.map((j) => slots.run(() => onJob(j.data))));
        });
      }
    },
    remaining: () => count(`state IN ('created','retry','active')`),
    completed: () => count(`state = 'completed'`),
    async latencyProbe(payload: BenchPayload) {
      await b().send(JOB, payload);
    },
    async teardown() {
      await boss?.stop({ graceful: true, wait: true, timeout: 3000 }).catch(() => {});
      boss = null;
    },
  };
}

const COMMON =
  'pg-boss 10 runs one batch handler per work() call and, after a fetch that took less than the polling interval, sleeps out the rest of it even when it found jobs: ' +
  'throughput is bounded near (loops × batchSize) / interval. Interval 0.5 s (the minimum), 24 handler slots shared by the loops, maintenance (supervise) and cron (schedule) off. ' +
  'pg-boss 10 does not LISTEN: a single job waits for the next poll, so its latency probes are spaced with up to one interval of random jitter and capped at 60 (quick: 20).';

/** Matched: 4 × 125 = 500 jobs held at once, the same local buffer as Jobfleet's prefetch and graphile-worker's localQueue. */
export const pgBossMatched = (): BenchSystem =>
  pgBossSystem({
    id: 'pg-boss',
    label: 'pg-boss (500 held, matched)',
    workers: 4,
    batchSize: 125,
    maxDrainJobs: 20_000,
    note: `${COMMON} This row holds 4 × 125 = 500 jobs, like the others' buffers; its drain is capped at 20,000 jobs (quick: 5,000).`,
  });

/** Large batches: the best of a small sweep (1×500 … 4×1000, 1×5000, 2×2500) on this machine. */
export const pgBossLarge = (): BenchSystem =>
  pgBossSystem({
    id: 'pg-boss-large',
    label: 'pg-boss (5,000 held, large batches)',
    workers: 2,
    batchSize: 2500,
    note: `${COMMON} This row holds 2 × 2,500 = 5,000 jobs: the fastest of a sweep (1×500, 4×125, 24×21, 4×500, 8×250, 2×1000, 1×2000, 4×1000, 1×5000, 2×2500).`,
  });

export default pgBossMatched;
