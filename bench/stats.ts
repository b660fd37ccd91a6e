/** Pure computations behind the scale-out, soak and memory tables (unit-tested in bench/test). */

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * What `processes` worker processes could reach if nothing but the jobs themselves limited them:
 * each slot finishes one job every jobMs. Capped by one process's measured rate × processes,
 * so a system whose single process is bounded elsewhere (polling, batching) is judged on scaling only.
 */
export function linearIdeal(processes: number, concurrency: number, jobMs: number, oneProcessRate?: number): number {
  const bySlots = (processes * concurrency * 1000) / jobMs;
  return oneProcessRate !== undefined && Number.isFinite(oneProcessRate) && oneProcessRate > 0
    ? Math.min(bySlots, oneProcessRate * processes)
    : bySlots;
}

export const efficiency = (measured: number, ideal: number): number => (ideal > 0 ? measured / ideal : NaN);

export interface TenthRates {
  /** Jobs per second over the first tenth of completions. */
  first: number;
  /** Jobs per second over the last tenth of completions. */
  last: number;
  /** last / first: 1 means no slowdown; the soak target is ≥ 0.9 (a drop of at most 10%). */
  ratio: number;
}

/**
 * Throughput over the first and last tenth of n completions, from the completion times (seconds) at
 * ranks 0, n/10, 9n/10 and n. Completions written in one transaction share its timestamp, hence
 * the guard against a zero span.
 */
export function tenthRates(n: number, t0: number, t10: number, t90: number, t100: number): TenthRates {
  const tenth = n / 10;
  const rate = (a: number, b: number): number => (b > a ? tenth / (b - a) : NaN);
  const first = rate(t0, t10);
  const last = rate(t90, t100);
  return { first, last, ratio: last / first };
}

export interface RssSample {
  /** ms since the process's sampler started. */
  t: number;
  rss: number;
}

/**
 * Steady-state RSS: the median of the samples in the second half of [from, to] (ms), when warm-up
 * allocations are over. NaN without samples there.
 */
export function steadyRss(samples: RssSample[], from: number, to: number): number {
  const mid = from + (to - from) / 2;
  return median(samples.filter((s) => s.t >= mid && s.t <= to).map((s) => s.rss));
}

/** Sums per-process "seen" counts (one byte per job index) and counts the jobs that ran more than once. */
export function mergeSeen(counts: Uint8Array, seen: Uint8Array): void {
  const n = Math.min(counts.length, seen.length);
  for (let i = 0; i < n; i++) counts[i] = Math.min(255, (counts[i] as number) + (seen[i] as number));
}

export function duplicatesIn(counts: Uint8Array): { distinct: number; duplicates: number } {
  let distinct = 0;
  let duplicates = 0;
  for (const c of counts) {
    if (c > 0) distinct++;
    if (c > 1) duplicates += c - 1;
  }
  return { distinct, duplicates };
}

/** Backlog for one scale-out point: enough jobs for the estimated rate over the whole run, with headroom, within bounds. */
export function scaleoutBacklog(estimatedRate: number, runMs: number, bounds: { min: number; max: number }): number {
  const n = Math.ceil((estimatedRate * runMs * 1.25) / 1000 / 1000) * 1000;
  return Math.max(bounds.min, Math.min(bounds.max, n));
}
