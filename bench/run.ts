/**
 * Jobfleet benchmark harness (issue 5).
 *
 *   npm run bench                      full run: drain 200,000 × 2 repetitions, 1,000 latency probes
 *   npm run bench -- --quick           1–2 minutes: drain 20,000 × 1, 200 latency probes
 *   npm run bench -- --systems jobfleet-pg,graphile-worker --workloads drain --n 50000 --reps 3
 *
 * Options: --n, --reps, --latency (probes), --latency-reps, --concurrency, --systems (ids, comma
 * separated), --workloads (drain,latency), --timeout (s per drain), --no-write (leave BENCHMARKS.md),
 * --in-process (run sessions in this process instead of one child process each).
 * Repetitions are interleaved across systems (A B C, then C B A, …) so drift hits every system alike.
 * Each session (one system, one workload, one repetition) runs in its own process (bench/session.ts)
 * on a fresh database, so no system inherits another's heap, timers or connections.
 */
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dropLeftoverDatabases, postgresVersion, redisVersion } from './resources.ts';
import { renderMarkdown, writeReport, type RunResults, type SystemInfo } from './report.ts';
import type { MemoryStats, SessionOutput } from './session.ts';
import { SYSTEMS } from './systems/index.ts';
import { RESULT_MARK } from './types.ts';
import { runDrain, type DrainOptions, type DrainResult } from './workloads/drain.ts';
import { runLatency, type LatencyOptions, type LatencyResult } from './workloads/latency.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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
    'no-write': { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

if (values.help) {
  console.log(`npm run bench [-- --quick] [--n N] [--reps R] [--latency SAMPLES] [--latency-reps R] [--concurrency C]
  [--systems ${Object.keys(SYSTEMS).join(',')}] [--workloads drain,latency] [--timeout SECONDS] [--no-write] [--in-process]`);
  process.exit(0);
}

const quick = values.quick ?? false;
const num = (v: string | undefined, d: number): number => {
  if (v === undefined) return d;
  const x = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(x) || x <= 0) throw new Error(`Not a positive number: ${v}`);
  return Math.floor(x);
};
const params = {
  n: num(values.n, quick ? 20_000 : 200_000),
  reps: num(values.reps, quick ? 1 : 2),
  latencySamples: num(values.latency, quick ? 200 : 1000),
  latencyReps: num(values['latency-reps'], 1),
  concurrency: num(values.concurrency, 24),
  interleaving: 'A B C …, then … C B A, alternating',
};
const timeoutMs = num(values.timeout, quick ? 120 : 300) * 1000;
const ids = values.systems ? values.systems.split(',').map((s) => s.trim()) : Object.keys(SYSTEMS);
for (const id of ids) if (!SYSTEMS[id]) throw new Error(`Unknown system "${id}". Known: ${Object.keys(SYSTEMS).join(', ')}`);
const workloads = new Set((values.workloads ?? 'drain,latency').split(',').map((s) => s.trim()));

const inProcess = values['in-process'] ?? false;
const SESSION = path.join(ROOT, 'bench', 'session.ts');

/** Runs one session in a child process (or here, with --in-process) and returns its result and memory. */
async function session(kind: 'drain', id: string, opts: DrainOptions): Promise<{ result: DrainResult; memory?: MemoryStats }>;
async function session(kind: 'latency', id: string, opts: LatencyOptions): Promise<{ result: LatencyResult; memory?: MemoryStats }>;
async function session(
  kind: 'drain' | 'latency',
  id: string,
  opts: DrainOptions | LatencyOptions,
): Promise<{ result: DrainResult | LatencyResult; memory?: MemoryStats }> {
  if (inProcess) {
    return { result: kind === 'drain' ? await runDrain(factory(id), opts as DrainOptions) : await runLatency(factory(id), opts as LatencyOptions) };
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SESSION, kind, id, JSON.stringify(opts)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (!line) {
        reject(new Error(`session process ended (${signal ?? `exit ${code}`}) without a result`));
        return;
      }
      const out = JSON.parse(line.slice(RESULT_MARK.length)) as SessionOutput;
      resolve({ result: out.result, memory: out.memory });
    });
  });
}

const order = (rep: number): string[] => (rep % 2 === 0 ? ids : [...ids].reverse());
const factory = (id: string) => SYSTEMS[id] as NonNullable<(typeof SYSTEMS)[string]>;

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const systems: SystemInfo[] = ids.map((id) => {
    const s = factory(id)();
    return { id: s.id, label: s.label, backend: s.backend, version: s.version, settings: s.settings, ...(s.note ? { note: s.note } : {}) };
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
  };
  console.log(`Jobfleet bench (${results.mode}): ${ids.join(', ')}; drain N=${params.n} × ${params.reps}, latency ${params.latencySamples} × ${params.latencyReps}; ${results.machine.cpus} cores, load ${os.loadavg()[0]?.toFixed(2)}`);

  if (workloads.has('drain')) {
    for (let rep = 0; rep < params.reps; rep++) {
      for (const id of order(rep)) {
        process.stdout.write(`drain   rep ${rep + 1}/${params.reps} ${id.padEnd(26)} `);
        try {
          const { result: d, memory } = await session('drain', id, { n: params.n, cappedN: quick ? 5000 : undefined, concurrency: params.concurrency, timeoutMs });
          results.drain.push({ rep: rep + 1, ...d, ...(memory ? { memory } : {}) });
          console.log(
            `N=${d.n} enqueue ${Math.round(d.enqueue.jobsPerSec)}/s, drain ${Math.round(d.jobsPerSec)}/s (${(d.drainMs / 1000).toFixed(1)} s, client CPU ${d.clientCpuMsPer1k.toFixed(0)} ms/1k)` +
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
      for (const id of order(rep)) {
        process.stdout.write(`latency rep ${rep + 1}/${params.latencyReps} ${id.padEnd(26)} `);
        try {
          const { result: l } = await session('latency', id, {
            samples: params.latencySamples,
            pollingSamplesCap: quick ? 20 : undefined,
            concurrency: params.concurrency,
            warmup: 5,
            probeTimeoutMs: 5000,
            gapMs: 5,
          });
          results.latency.push({ rep: rep + 1, ...l });
          console.log(`${l.samples} samples p50 ${l.p50.toFixed(2)} p95 ${l.p95.toFixed(2)} p99 ${l.p99.toFixed(2)} ms${l.ok ? '' : '  FAILED: ' + l.error}`);
        } catch (err) {
          console.log(`ERROR ${(err as Error).message}`);
          results.latency.push({ rep: rep + 1, system: id, samples: 0, requested: params.latencySamples, lost: 0, p50: NaN, p95: NaN, p99: NaN, mean: NaN, max: NaN, ok: false, error: (err as Error).message });
        }
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
