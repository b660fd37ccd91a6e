import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { int, ms, ratio } from './format.ts';
import type { MemoryStats } from './memory.ts';
import {
  renderFailures,
  renderHttp,
  renderMemory,
  renderScaleout,
  renderSoak,
  type HttpParams,
  type MemoryParams,
  type ScaleoutParams,
} from './report-tables.ts';
import { median } from './stats.ts';
import { isEmbedded, isJobfleet } from './systems/index.ts';
import type { Backend } from './types.ts';
import type { DrainResult } from './workloads/drain.ts';
import type { HttpResult } from './workloads/http.ts';
import type { LatencyResult } from './workloads/latency.ts';
import type { MemoryResult } from './workloads/memory.ts';
import type { ScaleoutResult } from './workloads/scaleout.ts';
import type { SoakResult } from './workloads/soak.ts';

export interface SystemInfo {
  id: string;
  label: string;
  backend: Backend;
  version: string;
  settings: Record<string, unknown>;
  note?: string;
}

export interface RunResults {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full';
  command: string;
  machine: { cpus: number; cpuModel: string; memGiB: number; node: string; platform: string; loadAtStart: number[] };
  services: { postgres: string; redis: string };
  tree?: { commit: string; dirtyCore: string[] };
  params: {
    n: number;
    reps: number;
    latencySamples: number;
    latencyReps: number;
    concurrency: number;
    interleaving: string;
    // The workloads added later are optional, so that earlier result files still read.
    http?: HttpParams;
    scaleout?: ScaleoutParams;
    soak?: { n: number; retentionMs: number };
    memory?: MemoryParams;
  };
  systems: SystemInfo[];
  drain: (DrainResult & { rep: number; memory?: MemoryStats })[];
  latency: (LatencyResult & { rep: number })[];
  http?: HttpResult[];
  scaleout?: ScaleoutResult[];
  soak?: (SoakResult & { memory?: MemoryStats })[];
  memory?: MemoryResult[];
  /** RSS of an empty Node process, plain and under tsx, MiB (the floor under the memory table). */
  memoryReference?: { nodeMiB: number; tsxMiB: number };
  /** Sessions of the later workloads that ended without a result. */
  failures?: { workload: string; system: string; point?: string; error: string }[];
}

interface DrainSummary {
  id: string;
  n: number;
  runs: number;
  ok: boolean;
  errors: string[];
  drain: number;
  drainMin: number;
  drainMax: number;
  enqueue: number;
  enqueueMin: number;
  enqueueMax: number;
  peakRssMiB: number;
  cpuPer1k: number;
  /** NaN where not measured (Redis, PGlite). */
  pgCpuPer1k: number;
  enqueueCpuPer1k: number;
}

export function summarizeDrain(r: RunResults): DrainSummary[] {
  return r.systems
    .map((s) => {
      const rows = r.drain.filter((d) => d.system === s.id);
      const good = rows.filter((d) => d.ok);
      const rates = good.map((d) => d.jobsPerSec);
      const enq = rows.map((d) => d.enqueue.jobsPerSec);
      return {
        id: s.id,
        n: rows[0]?.n ?? 0,
        runs: rows.length,
        ok: rows.length > 0 && good.length === rows.length,
        errors: rows.filter((d) => !d.ok).map((d) => `rep ${d.rep}: ${d.error ?? 'failed'}`),
        drain: median(rates),
        drainMin: Math.min(...rates),
        drainMax: Math.max(...rates),
        enqueue: median(enq),
        enqueueMin: Math.min(...enq),
        enqueueMax: Math.max(...enq),
        peakRssMiB: Math.max(...rows.map((d) => d.memory?.peakRssMiB ?? NaN)),
        cpuPer1k: median(good.map((d) => d.clientCpuMsPer1k)),
        pgCpuPer1k: median(good.map((d) => d.pgBackendCpuMsPer1k ?? NaN)),
        enqueueCpuPer1k: median(rows.map((d) => d.enqueueCpuMsPer1k)),
      };
    })
    .filter((s) => s.runs > 0);
}

interface LatencySummary {
  id: string;
  samples: number;
  runs: number;
  ok: boolean;
  errors: string[];
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarizeLatency(r: RunResults): LatencySummary[] {
  return r.systems
    .map((s) => {
      const rows = r.latency.filter((d) => d.system === s.id);
      return {
        id: s.id,
        samples: rows.reduce((a, d) => a + d.samples, 0),
        runs: rows.length,
        ok: rows.length > 0 && rows.every((d) => d.ok),
        errors: rows.filter((d) => !d.ok).map((d) => `rep ${d.rep}: ${d.error ?? 'failed'}`),
        p50: median(rows.map((d) => d.p50)),
        p95: median(rows.map((d) => d.p95)),
        p99: median(rows.map((d) => d.p99)),
        max: Math.max(...rows.map((d) => d.max)),
      };
    })
    .filter((s) => s.runs > 0);
}

const range = (lo: number, hi: number, runs: number): string => (runs > 1 && Number.isFinite(lo) ? `${int(lo)}–${int(hi)}` : '');

/** The generated block: tables with ratios against the fastest peer, settings, versions. */
export function renderMarkdown(r: RunResults, resultFile: string): string {
  const label = (id: string): string => r.systems.find((s) => s.id === id)?.label ?? id;
  const bold = (id: string, text: string): string => (isJobfleet(id) ? `**${text}**` : text);
  const out: string[] = [];
  const dur = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
  out.push(
    `Run ${r.startedAt} (${r.mode}, ${Math.round(dur)} s): \`${r.command}\`. Raw results: \`${resultFile}\`.`,
    '',
    ...(r.tree
      ? [
          `Jobfleet measured at \`${r.tree.commit}\`${r.tree.dirtyCore.length ? ` plus uncommitted changes to ${r.tree.dirtyCore.map((f) => `\`${f}\``).join(', ')}` : ''}.`,
          '',
        ]
      : []),
    `Machine: ${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memGiB} GiB, Node ${r.machine.node}, ${r.machine.platform}; ` +
      `PostgreSQL ${r.services.postgres} and Redis ${r.services.redis} on the same machine; load average at start ${r.machine.loadAtStart.map((x) => x.toFixed(2)).join(' / ')}. ` +
      (r.drain.length || r.latency.length
        ? `Drain and latency: one process per system; total concurrency ${r.params.concurrency}; no-op jobs; payload \`{ "i": <n> }\` (latency: \`{ "t": <ms> }\`). `
        : '') +
      (r.drain.length
        ? `Drain: N = ${int(r.params.n)} unless the N column says otherwise, ${r.params.reps} repetition(s) interleaved (${r.params.interleaving}), median shown with the range. `
        : '') +
      (r.latency.length
        ? `Latency: ${int(r.params.latencySamples)} sequential probes per system (fewer for pg-boss, see its note), 5 ms apart after each start, ${r.params.latencyReps} repetition(s). `
        : '') +
      `Every session ran in its own process on a fresh database (dropped after) or a flushed Redis DB.`,
    '',
  );

  const drains = summarizeDrain(r);
  const served = drains.filter((d) => !isEmbedded(d.id));
  const peerBest = (key: 'drain' | 'enqueue'): number =>
    Math.max(...served.filter((d) => !isJobfleet(d.id) && d.ok).map((d) => d[key]));
  if (served.length) {
    const bestDrain = peerBest('drain');
    const bestEnq = peerBest('enqueue');
    out.push(
      '#### (1) Drain: bulk-enqueued no-op jobs, workers started, time until storage shows all done',
      '',
      '| System | N | jobs/s (median) | range | vs fastest peer | all completed | client CPU, ms per 1k jobs | PostgreSQL backends CPU, ms per 1k jobs | peak RSS, MiB |',
      '|---|---:|---:|---:|---:|---|---:|---:|---:|',
    );
    for (const d of [...served].sort((a, b) => (b.drain || 0) - (a.drain || 0))) {
      out.push(
        `| ${bold(d.id, label(d.id))} | ${int(d.n)} | ${bold(d.id, int(d.drain))} | ${range(d.drainMin, d.drainMax, d.runs)} | ${ratio(d.drain / bestDrain)} | ${d.ok ? `yes (${d.runs}/${d.runs})` : `NO: ${d.errors.join('; ')}`} | ${int(d.cpuPer1k)} | ${Number.isNaN(d.pgCpuPer1k) ? '—' : int(d.pgCpuPer1k)} | ${int(d.peakRssMiB)} |`,
      );
    }
    out.push(
      '',
      '"Client CPU" and "peak RSS" are the benchmark process that enqueued and ran the jobs (one process per session) during the drain; the database or Redis server is not included. ' +
        '"PostgreSQL backends CPU" is the CPU time of the session database\'s backend processes during the drain (from /proc; background processes such as the WAL writer and autovacuum are not included; — for Redis). ' +
        'On 2 cores, client and server CPU compete for the same cores.',
    );
    out.push(
      '',
      '#### (3) Bulk enqueue: the enqueue phase of each drain session (10,000 jobs per call, empty store, no workers)',
      '',
      '| System | N | jobs/s (median) | range | vs fastest peer | client CPU, ms per 1k jobs |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const d of [...served].sort((a, b) => b.enqueue - a.enqueue)) {
      out.push(
        `| ${bold(d.id, label(d.id))} | ${int(d.n)} | ${bold(d.id, int(d.enqueue))} | ${range(d.enqueueMin, d.enqueueMax, d.runs)} | ${ratio(d.enqueue / bestEnq)} | ${int(d.enqueueCpuPer1k)} |`,
      );
    }
    out.push('');
  }

  const lats = summarizeLatency(r);
  const servedLat = lats.filter((l) => !isEmbedded(l.id));
  if (servedLat.length) {
    const bestP50 = Math.min(...servedLat.filter((l) => !isJobfleet(l.id) && l.ok).map((l) => l.p50));
    out.push(
      '#### (2) Latency: enqueue-to-start of single jobs to idle workers, ms (lower is better)',
      '',
      '| System | samples | p50 | p95 | p99 | max | p50 vs best peer |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const l of [...servedLat].sort((a, b) => a.p50 - b.p50)) {
      out.push(
        `| ${bold(l.id, label(l.id))} | ${l.samples}${l.ok ? '' : ` (${l.errors.join('; ')})`} | ${bold(l.id, ms(l.p50))} | ${ms(l.p95)} | ${ms(l.p99)} | ${ms(l.max)} | ${ratio(l.p50 / bestP50)} |`,
      );
    }
    out.push('');
  }

  const emb = drains.filter((d) => isEmbedded(d.id));
  const embLat = lats.filter((l) => isEmbedded(l.id));
  if (emb.length || embLat.length) {
    out.push(
      '#### (5) Embedded: Jobfleet on PGlite in memory, in the benchmark process (no peer runs embedded)',
      '',
      '| Measure | N / samples | Value |',
      '|---|---:|---:|',
    );
    for (const d of emb) {
      out.push(
        `| Drain, jobs/s (median${d.runs > 1 ? `, range ${range(d.drainMin, d.drainMax, d.runs)}` : ''}) | ${int(d.n)} | ${int(d.drain)}${d.ok ? '' : ` — NOT all completed: ${d.errors.join('; ')}`} |`,
      );
      out.push(`| Bulk enqueue, jobs/s (median) | ${int(d.n)} | ${int(d.enqueue)} |`);
      out.push(`| Peak RSS of the process (database included), MiB | ${int(d.n)} | ${int(d.peakRssMiB)} |`);
    }
    for (const l of embLat)
      out.push(`| Latency p50 / p95 / p99, ms | ${l.samples} | ${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)} |`);
    out.push('');
  }

  out.push(
    ...renderHttp(r.http ?? [], r.params.http),
    ...renderScaleout(r.scaleout ?? [], r.params.scaleout, label),
    ...renderSoak(r.soak ?? []),
    ...renderMemory(r.memory ?? [], r.params.memory, label, r.memoryReference),
    ...renderFailures(r.failures ?? []),
  );

  out.push('#### Versions and settings', '', '| System | Version | Settings |', '|---|---|---|');
  for (const s of r.systems) {
    const settings = Object.entries(s.settings)
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join('; ');
    out.push(`| ${label(s.id)} | ${s.version} | ${settings} |`);
  }
  const notes = r.systems.filter((s) => s.note);
  if (notes.length) {
    out.push('');
    for (const s of notes) out.push(`- ${s.label}: ${s.note}`);
  }
  out.push('');
  return out.join('\n');
}

const TEMPLATE = `# Benchmarks

Side-by-side measurements of Jobfleet against graphile-worker, pg-boss and BullMQ, produced by \`bench/\` (issue 5).
The sections between the \`bench:…\` markers are rewritten by the harness (\`npm run bench\` the full one,
\`npm run bench -- --quick\` the quick one); everything outside the markers is written by hand.

## How to run

\`\`\`sh
npm run bench                 # full: every workload (drain 200,000 × 2, 1,000 latency probes × 2, HTTP 20 s, scale-out 1/2/4/8 processes, soak 1,000,000, memory 30 s)
npm run bench -- --quick      # smaller: drain 20,000, 200 probes, HTTP 5 s, scale-out 1/2 processes, soak 100,000, memory 8 s
npm run bench -- --systems jobfleet-pg,graphile-worker --workloads drain --n 50000 --reps 3
npm run bench -- --workloads http,soak --systems jobfleet-pg
npm run bench -- --help
\`\`\`

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust; override with \`BENCH_PG_URL\`) and Redis at
127.0.0.1:6379 (logical DB 9 is flushed; \`BENCH_REDIS_DB\`). Each run writes \`bench/results/<timestamp>.json\`.

## What is measured

- Each session (one system × one workload × one repetition or point) runs in its own Node process on a fresh
  database (\`CREATE DATABASE bench_<system>_<random>\`, dropped after) or a flushed Redis DB. Repetitions
  are interleaved across systems (A B C, then C B A). Drain and latency: same no-op job, same payload shape,
  same total concurrency (24), one worker process per system.
- (1) Drain: N jobs enqueued in bulk, \`ANALYZE\`, then the clock runs from starting the workers until
  storage shows every job finished (completion writes included). Verified: every payload index ran
  exactly once and storage counts N completed (graphile-worker deletes completed jobs: it must hold none).
- (2) Latency: sequential single enqueues to idle workers; the payload carries \`performance.now()\` at
  the enqueue call and the handler's first act subtracts it (same process, same monotonic clock), so
  the enqueue round trip is included. 5 warm-up probes are dropped.
- (3) Bulk enqueue: the enqueue phase of each drain session (10,000 jobs per library call, empty
  store, no workers running; \`ANALYZE\` not timed).
- (4) HTTP enqueue (Jobfleet only): the real service (\`jobfleet api\`) on a fresh database, real auth (register,
  log in, API key), autocannon against \`POST /api/v1/jobs\` with 64 connections; rate limit raised through
  \`JOBFLEET_RATE_LIMIT\`. Targets: ≥ 10,000 submissions/s, p99 ≤ 50 ms, no errors.
- (5) Embedded: Jobfleet on PGlite in memory, inside the benchmark process; no peer runs embedded.
- (6) Scale-out: jobs that wait 10 ms on 1, 2, 4 and 8 worker processes of 50 concurrency each (child
  processes), jobs finished in a fixed window after a warm-up; linear ideal, efficiency, PostgreSQL cost per job.
- (7) Soak (Jobfleet only): 1,000,000 jobs drained; first vs last tenth of completions (target: drop ≤ 10%);
  jobs table and index sizes after the drain, after the cleaner and after VACUUM.
- (8) Memory: RSS of a worker process (nothing else in it) under a steady load: baseline, steady, peak.
  Target for Jobfleet: ≤ 150 MB.

Harness layout: \`bench/run.ts\` (arguments, orchestration), \`bench/session.ts\` (one session per
process), \`bench/worker-process.ts\` and \`bench/worker-fleet.ts\` (worker processes for scale-out and memory),
\`bench/systems/*.ts\` (one small \`BenchSystem\` interface per system), \`bench/workloads/*.ts\` (one file per
workload), \`bench/report.ts\` and \`bench/report-tables.ts\` (JSON and the tables below), \`bench/stats.ts\`
(the arithmetic), \`bench/test/harness.test.ts\` (a 500-job PGlite drain through the same code path, and the arithmetic).

## Full run

<!-- bench:full:start -->
_Not run yet._
<!-- bench:full:end -->

## Quick run

<!-- bench:quick:start -->
_Not run yet._
<!-- bench:quick:end -->
`;

const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A horizontal bar chart of median drain throughput (PostgreSQL/Redis systems, not the embedded one; Jobfleet rows in blue). */
export function renderDrainSvg(r: RunResults): string {
  const rows = summarizeDrain(r)
    .filter((d) => Number.isFinite(d.drain) && !isEmbedded(d.id))
    .sort((a, b) => b.drain - a.drain);
  const label = (id: string): string => r.systems.find((s) => s.id === id)?.label ?? id;
  const max = Math.max(1, ...rows.map((d) => d.drain));
  const [left, width, barH, gap, top] = [300, 420, 18, 8, 34];
  const height = top + rows.length * (barH + gap) + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 90}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="8" y="18" font-size="13" font-weight="bold">Drain, jobs/s (median; ${esc(r.mode)} run ${esc(r.startedAt.slice(0, 16))}Z, ${r.machine.cpus} cores)</text>`,
  ];
  rows.forEach((d, k) => {
    const y = top + k * (barH + gap);
    const w = Math.max(1, Math.round((d.drain / max) * width));
    const color = isJobfleet(d.id) ? '#2f6fde' : '#9aa3ad';
    parts.push(
      `<text x="${left - 8}" y="${y + 13}" text-anchor="end">${esc(label(d.id))}${d.n !== r.params.n ? ` (N=${d.n})` : ''}</text>`,
      `<rect x="${left}" y="${y}" width="${w}" height="${barH}" fill="${color}"/>`,
      `<text x="${left + w + 6}" y="${y + 13}">${int(d.drain)}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** Writes bench/results/<timestamp>.json and rewrites this mode's section of BENCHMARKS.md. */
export function writeReport(
  r: RunResults,
  opts: { root: string; writeMarkdown: boolean },
): { json: string; markdown: string | null } {
  const dir = path.join(opts.root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const json = path.join(dir, `${stamp}${r.mode === 'quick' ? '-quick' : ''}.json`);
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  const rel = path.relative(opts.root, json);
  if (!opts.writeMarkdown) return { json: rel, markdown: null };
  // The chart BENCHMARKS.md shows: only rewritten together with the markdown.
  writeFileSync(path.join(dir, `drain-${r.mode}.svg`), renderDrainSvg(r));
  const mdPath = path.join(opts.root, 'BENCHMARKS.md');
  let md = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : TEMPLATE;
  const start = `<!-- bench:${r.mode}:start -->`;
  const end = `<!-- bench:${r.mode}:end -->`;
  const body = `${start}\n${renderMarkdown(r, rel)}\n![Drain throughput, ${r.mode} run](bench/results/drain-${r.mode}.svg)\n${end}`;
  const i = md.indexOf(start);
  const j = md.indexOf(end);
  md =
    i >= 0 && j > i
      ? md.slice(0, i) + body + md.slice(j + end.length)
      : `${md.trimEnd()}\n\n## ${r.mode === 'full' ? 'Full' : 'Quick'} run\n\n${body}\n`;
  writeFileSync(mdPath, md);
  return { json: rel, markdown: 'BENCHMARKS.md' };
}
