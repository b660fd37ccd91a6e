/**
 * Jobfleet benchmark harness (issue 5).
 *
 *   npm run bench                      full run: every workload at full size
 *   npm run bench -- --quick           a few minutes: every workload, smaller
 *   npm run bench -- --systems jobfleet-pg,graphile-worker --workloads drain --n 50000 --reps 3
 *
 * Workloads (--workloads, comma separated; all by default): drain (with the bulk-enqueue phase),
 * latency, http, scaleout, soak, memory. See --help for the options of each.
 * Repetitions are interleaved across systems (A B C, then C B A, …) so drift hits every system alike.
 * Each session (one system, one workload, one repetition or point) runs in its own process
 * (bench/session.ts) on a fresh database; scale-out and memory start their worker processes from there.
 */
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { referenceRss } from './memory-reference.ts';
import { renderMarkdown, writeReport, type RunResults, type SystemInfo } from './report.ts';
import { dropLeftoverDatabases, postgresVersion, redisVersion } from './resources.ts';
import { SERVICE_ENV } from './service.ts';
import type { MemoryStats, SessionOutput } from './session.ts';
import { linearIdeal, scaleoutBacklog } from './stats.ts';
import { isEmbedded, SYSTEMS } from './systems/index.ts';
import { RESULT_MARK } from './types.ts';
import { runWorkload, type SessionKind, type SessionKinds } from './workloads/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKLOADS = ['drain', 'latency', 'http', 'scaleout', 'soak', 'memory'] as const;
/** The scale-out comparison: Jobfleet and one configuration of each peer (others with --systems). */
const SCALEOUT_SYSTEMS = ['jobfleet-pg', 'jobfleet-rabbitmq', 'graphile-worker', 'pg-boss', 'bullmq'];
/**
 * Measured in the latency workload only, unless named in --systems: Jobfleet with direct start off, i.e.
 * the enqueue-to-start latency when the enqueuer and the worker are different processes.
 */
const LATENCY_ONLY = ['jobfleet-pg-claim'];
/** HTTP and soak measure Jobfleet on PostgreSQL alone. */
const JOBFLEET_ONLY = 'jobfleet-pg';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    n: { type: 'string' },
    reps: { type: 'string' },
    latency: { type: 'string' },
    'latency-reps': { type: 'string' },
    concurrency: { type: 'string' },
    systems: { type: 'string' },
    workloads: { type: 'string' },
    timeout: { type: 'string' },
    'http-seconds': { type: 'string' },
    'http-connections': { type: 'string' },
    'http-processes': { type: 'string' },
    'scaleout-procs': { type: 'string' },
    'scaleout-seconds': { type: 'string' },
    'soak-n': { type: 'string' },
    'memory-seconds': { type: 'string' },
    'memory-rate': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

if (values.help) {
  console.log(`npm run bench [-- --quick] [--systems ${Object.keys(SYSTEMS).join(',')}] [--workloads ${WORKLOADS.join(',')}]
  drain/latency:  [--n N] [--reps R] [--latency SAMPLES] [--latency-reps R (2; quick 1)] [--concurrency C] [--timeout SECONDS]
  http:           [--http-seconds S (20; quick 5)] [--http-connections C (64)] [--http-processes 1,2 (service copies)]
  scaleout:       [--scaleout-procs 1,2,4,8 (quick 1,2)] [--scaleout-seconds S (window per point: 12; quick 5)]
  soak:           [--soak-n N (1,000,000; quick 100,000)]
  memory:         [--memory-seconds S (30; quick 8)] [--memory-rate JOBS_PER_S (500)]
  [--no-write] (leave BENCHMARKS.md) [--in-process] (sessions in this process; scale-out and memory still start worker processes)`);
  process.exit(0);
}

const quick = values.quick ?? false;
const num = (v: string | undefined, d: number): number => {
  if (v === undefined) return d;
  const x = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(x) || x <= 0) throw new Error(`Not a positive number: ${v}`);
  return Math.floor(x);
};
const list = (v: string | undefined, d: number[]): number[] => (v === undefined ? d : v.split(',').map((s) => num(s.trim(), 0)));
const params = {
  n: num(values.n, quick ? 20_000 : 200_000),
  reps: num(values.reps, quick ? 1 : 2),
  latencySamples: num(values.latency, quick ? 200 : 1000),
  // Two in a full run: one repetition of 1,000 probes swung by a millisecond between runs on a noisy host.
  latencyReps: num(values['latency-reps'], quick ? 1 : 2),
  concurrency: num(values.concurrency, 24),
  interleaving: 'A B C …, then … C B A, alternating',
  http: {
    connections: num(values['http-connections'], 64),
    durationS: num(values['http-seconds'], quick ? 5 : 20),
    processes: list(values['http-processes'], [1, 2]),
    warmupS: quick ? 1 : 3,
    role: 'api',
    env: { ...SERVICE_ENV },
  },
  scaleout: {
    processes: list(values['scaleout-procs'], quick ? [1, 2] : [1, 2, 4, 8]),
    concurrency: 50,
    jobMs: 10,
    warmupMs: quick ? 1000 : 2000,
    windowMs: num(values['scaleout-seconds'], quick ? 5 : 12) * 1000,
    poolSize: 10,
  },
  soak: { n: num(values['soak-n'], quick ? 100_000 : 1_000_000), retentionMs: 1000 },
  memory: {
    rate: num(values['memory-rate'], 500),
    durationMs: num(values['memory-seconds'], quick ? 8 : 30) * 1000,
    concurrency: 24,
  },
} satisfies RunResults['params'];
const timeoutMs = num(values.timeout, quick ? 120 : 300) * 1000;
const ids = values.systems
  ? values.systems.split(',').map((s) => s.trim())
  : Object.keys(SYSTEMS).filter((id) => !LATENCY_ONLY.includes(id));
for (const id of ids) if (!SYSTEMS[id]) throw new Error(`Unknown system "${id}". Known: ${Object.keys(SYSTEMS).join(', ')}`);
const workloads = new Set((values.workloads ?? WORKLOADS.join(',')).split(',').map((s) => s.trim()));
for (const w of workloads)
  if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`Unknown workload "${w}". Known: ${WORKLOADS.join(', ')}`);
const latencyIds = values.systems ? ids : [...ids, ...LATENCY_ONLY];
// Several worker processes need a shared server: no embedded database in scale-out.
const scaleoutIds = values.systems ? ids.filter((id) => !isEmbedded(id)) : SCALEOUT_SYSTEMS;

const inProcess = values['in-process'] ?? false;
const SESSION = path.join(ROOT, 'bench', 'session.ts');

/** Runs one session in a child process (or here, with --in-process) and returns its result and the session process's memory. */
async function session<K extends SessionKind>(
  kind: K,
  id: string,
  opts: SessionKinds[K]['options'],
  killAfterMs: number,
): Promise<{ result: SessionKinds[K]['result']; memory?: MemoryStats }> {
  // Scale-out and memory start worker processes of their own; the session's process is the producer either way.
  if (inProcess) return { result: await runWorkload(kind, id, opts) };
  return new Promise((resolve, reject) => {
    // A process group of its own, so that a session past its time limit goes together with the
    // processes it started (worker processes, the HTTP service).
    const child = spawn(process.execPath, ['--import', 'tsx', SESSION, kind, id, JSON.stringify(opts)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    running = child.pid ?? null;
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const killer = setTimeout(() => killGroup(child.pid), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      running = null;
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (!line) {
        const failed = new Error(`session process ended (${signal ?? `exit ${code}`}) without a result`);
        // Killed, it ran no cleanup of its own: drop its database and broker queues before the next session.
        void dropLeftoverDatabases().then(
          (names) => {
            if (names.length) console.log(`\n  dropped what the failed session left: ${names.join(', ')}`);
            reject(failed);
          },
          () => reject(failed),
        );
        return;
      }
      const out = JSON.parse(line.slice(RESULT_MARK.length)) as SessionOutput<K>;
      resolve({ result: out.result, memory: out.memory });
    });
  });
}

/** The session process running now (its group id), for Ctrl+C: a detached group does not get the terminal's signal. */
let running: number | null = null;
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (running !== null) killGroup(running);
    process.exit(130);
  });
}

const order = (rep: number, of: string[] = ids): string[] => (rep % 2 === 0 ? of : [...of].reverse());
const factory = (id: string) => SYSTEMS[id] as NonNullable<(typeof SYSTEMS)[string]>;
const line = (label: string, id: string): void => void process.stdout.write(`${label.padEnd(16)} ${id.padEnd(26)} `);
const f0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const systems: SystemInfo[] = (workloads.has('latency') ? latencyIds : ids).map((id) => {
    const s = factory(id)();
    return {
      id: s.id,
      label: s.label,
      backend: s.backend,
      version: s.version,
      settings: s.settings,
      ...(s.note ? { note: s.note } : {}),
    };
  });
  const results: RunResults = {
    startedAt,
    finishedAt: startedAt,
    mode: quick ? 'quick' : 'full',
    command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? '?',
      memGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.versions.node,
      platform: `${os.type()} ${os.release()}`,
      loadAtStart: os.loadavg(),
    },
    services: { postgres: await postgresVersion(), redis: await redisVersion() },
    tree: gitState(),
    params,
    systems,
    drain: [],
    latency: [],
    http: [],
    scaleout: [],
    soak: [],
    memory: [],
    failures: [],
  };
  console.log(
    `Jobfleet bench (${results.mode}): ${ids.join(', ')}; workloads ${[...workloads].join(', ')}; ${results.machine.cpus} cores, load ${os.loadavg()[0]?.toFixed(2)}`,
  );
  const failed = (workload: string, system: string, err: unknown, point?: string): void => {
    console.log(`ERROR ${(err as Error).message}`);
    results.failures?.push({ workload, system, ...(point ? { point } : {}), error: (err as Error).message });
  };

  if (workloads.has('drain')) {
    for (let rep = 0; rep < params.reps; rep++) {
      for (const id of order(rep)) {
        line(`drain   rep ${rep + 1}/${params.reps}`, id);
        try {
          const { result: d, memory } = await session(
            'drain',
            id,
            { n: params.n, cappedN: quick ? 5000 : undefined, concurrency: params.concurrency, timeoutMs },
            timeoutMs + 60_000,
          );
          results.drain.push({ rep: rep + 1, ...d, ...(memory ? { memory } : {}) });
          console.log(
            `N=${d.n} enqueue ${Math.round(d.enqueue.jobsPerSec)}/s, drain ${Math.round(d.jobsPerSec)}/s (${(d.drainMs / 1000).toFixed(1)} s, client CPU ${d.clientCpuMsPer1k.toFixed(0)} ms/1k${d.pgBackendCpuMsPer1k === undefined ? '' : `, PostgreSQL backends ${d.pgBackendCpuMsPer1k.toFixed(0)} ms/1k`})` +
              `${memory ? `, peak RSS ${memory.peakRssMiB} MiB` : ''}${d.ok ? '' : '  FAILED: ' + d.error}`,
          );
        } catch (err) {
          console.log(`ERROR ${(err as Error).message}`);
          results.drain.push(failedDrain(id, rep + 1, err as Error));
        }
      }
    }
  }
  if (workloads.has('latency')) {
    for (let rep = 0; rep < params.latencyReps; rep++) {
      for (const id of order(rep, latencyIds)) {
        line(`latency rep ${rep + 1}/${params.latencyReps}`, id);
        try {
          const { result: l } = await session(
            'latency',
            id,
            {
              samples: params.latencySamples,
              pollingSamplesCap: quick ? 20 : undefined,
              concurrency: params.concurrency,
              warmup: 5,
              probeTimeoutMs: 5000,
              gapMs: 5,
            },
            timeoutMs + 60_000,
          );
          results.latency.push({ rep: rep + 1, ...l });
          console.log(
            `${l.samples} samples p50 ${l.p50.toFixed(2)} p95 ${l.p95.toFixed(2)} p99 ${l.p99.toFixed(2)} ms${l.ok ? '' : '  FAILED: ' + l.error}`,
          );
        } catch (err) {
          console.log(`ERROR ${(err as Error).message}`);
          results.latency.push({
            rep: rep + 1,
            system: id,
            samples: 0,
            requested: params.latencySamples,
            lost: 0,
            p50: NaN,
            p95: NaN,
            p99: NaN,
            mean: NaN,
            max: NaN,
            ok: false,
            error: (err as Error).message,
          });
        }
      }
    }
  }
  if (workloads.has('http') && ids.includes(JOBFLEET_ONLY)) {
    const h = params.http;
    for (const processes of h.processes) {
      line('http', `jobfleet api ×${processes}, ${h.connections} conns`);
      try {
        const { result: r } = await session(
          'http',
          'jobfleet-http',
          { connections: h.connections, durationS: h.durationS, warmupS: h.warmupS, processes },
          (h.durationS + h.warmupS) * 1000 + 180_000,
        );
        results.http?.push(r);
        console.log(
          `${f0(r.perSec)}/s p50 ${r.p50} p99 ${r.p99} ms, ${r.errors} errors, ${r.non2xx} non-2xx${r.ok ? '' : '  FAILED: ' + r.error}`,
        );
      } catch (err) {
        failed('http', 'jobfleet-http', err);
      }
    }
  }
  if (workloads.has('scaleout') && scaleoutIds.length) {
    const s = params.scaleout;
    // Each point's backlog is sized from the previous point of the same system, extrapolated linearly.
    const measured = new Map<string, { processes: number; rate: number }>();
    for (const [k, processes] of s.processes.entries()) {
      for (const id of order(k, scaleoutIds)) {
        line(`scaleout ×${processes}`, id);
        const prev = measured.get(id);
        const ideal = linearIdeal(processes, s.concurrency, s.jobMs);
        const estimate = prev ? Math.min(ideal, (prev.rate * processes) / prev.processes) : ideal;
        const backlog = scaleoutBacklog(estimate, s.warmupMs + s.windowMs, { min: 10_000, max: 400_000 });
        try {
          const { result: r } = await session(
            'scaleout',
            id,
            {
              processes,
              concurrency: s.concurrency,
              jobMs: s.jobMs,
              warmupMs: s.warmupMs,
              windowMs: s.windowMs,
              backlog,
              poolSize: s.poolSize,
            },
            s.warmupMs + s.windowMs + 300_000,
          );
          results.scaleout?.push(r);
          if (r.ok) measured.set(id, { processes, rate: r.jobsPerSec });
          const pg = r.pg
            ? `, PG ${r.pg.statementMsPerJob?.toFixed(3) ?? '—'} ms stmt / ${r.pg.backendCpuMsPerJob?.toFixed(3) ?? '—'} ms CPU per job`
            : '';
          const workerCpu = Number.isFinite(r.workerCpuMsPerJob)
            ? `, workers ${r.workerCpuMsPerJob?.toFixed(3)} ms CPU per job`
            : '';
          console.log(
            `${f0(r.jobsPerSec)} jobs/s (backlog ${f0(backlog)}${r.drainedEarly ? ', drained early' : ''})${pg}${workerCpu}, worker RSS ≤ ${r.workerPeakRssMiB} MiB${r.ok ? '' : '  FAILED: ' + r.error}`,
          );
        } catch (err) {
          failed('scaleout', id, err, `${processes} processes`);
        }
      }
    }
  }
  if (workloads.has('soak') && ids.includes(JOBFLEET_ONLY)) {
    const s = params.soak;
    // At the slowest rate seen here (~5,000 jobs/s) plus the enqueue and the cleaner.
    const soakTimeout = Math.max(timeoutMs, s.n / 2);
    line(`soak ${f0(s.n)}`, JOBFLEET_ONLY);
    try {
      const { result: r, memory } = await session(
        'soak',
        JOBFLEET_ONLY,
        { n: s.n, concurrency: params.concurrency, timeoutMs: soakTimeout, retentionMs: s.retentionMs },
        soakTimeout * 2 + 300_000,
      );
      results.soak?.push({ ...r, ...(memory ? { memory } : {}) });
      console.log(
        `drain ${f0(r.jobsPerSec)}/s, first tenth ${f0(r.tenths.first)}/s, last tenth ${f0(r.tenths.last)}/s (×${r.tenths.ratio.toFixed(2)}); ` +
          `jobs table ${mib(r.sizes.drained.total)} → cleaner ${mib(r.sizes.cleaned.total)} → VACUUM ${mib(r.sizes.vacuumed.total)} MiB${r.ok ? '' : '  FAILED: ' + r.error}`,
      );
    } catch (err) {
      failed('soak', JOBFLEET_ONLY, err);
    }
  }
  if (workloads.has('memory')) {
    const m = params.memory;
    results.memoryReference = await referenceRss();
    for (const id of order(0)) {
      line('memory', id);
      try {
        const { result: r } = await session('memory', id, m, m.durationMs + 300_000);
        results.memory?.push(r);
        console.log(
          `worker RSS baseline ${r.baselineRssMiB}, steady ${r.steadyRssMiB}, peak ${r.peakRssMiB} MiB (${r.done}/${r.fed} jobs)${r.ok ? '' : '  FAILED: ' + r.error}`,
        );
      } catch (err) {
        failed('memory', id, err);
      }
    }
  }
  results.finishedAt = new Date().toISOString();
  const leftovers = await dropLeftoverDatabases().catch(() => []);
  if (leftovers.length) console.log(`Dropped databases left by failed sessions: ${leftovers.join(', ')}`);
  const written = writeReport(results, { root: ROOT, writeMarkdown: !values['no-write'] });
  console.log('\n' + renderMarkdown(results, written.json));
  console.log(`Wrote ${written.json}${written.markdown ? ` and the ${results.mode} section of ${written.markdown}` : ''}.`);
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** The commit measured and the files of the engine changed on top of it (others work in the same tree). */
function gitState(): { commit: string; dirtyCore: string[] } {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    const commit = git('log', '-1', '--format=%h %s').trim().slice(0, 100);
    const dirtyCore = git('status', '--porcelain', '--', 'packages/core/src')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit, dirtyCore };
  } catch {
    return { commit: 'unknown', dirtyCore: [] };
  }
}

function failedDrain(id: string, rep: number, err: Error): RunResults['drain'][number] {
  return {
    rep,
    system: id,
    n: params.n,
    concurrency: params.concurrency,
    enqueue: { n: params.n, ms: NaN, jobsPerSec: NaN },
    drainMs: NaN,
    jobsPerSec: NaN,
    handlersDoneMs: NaN,
    clientCpuMsPer1k: NaN,
    enqueueCpuMsPer1k: NaN,
    completed: -1,
    remaining: -1,
    distinctRan: 0,
    duplicates: 0,
    ok: false,
    error: err.message,
  };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
