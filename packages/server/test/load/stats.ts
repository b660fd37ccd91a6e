/**
 * Per-interval figures of a load run: request counts by kind, errors, latency percentiles, and the
 * server's RSS and the machine's load average when each interval closed. Pure bookkeeping, no I/O.
 */

export const KINDS = ['submit', 'poll', 'list', 'follow'] as const;
export type Kind = (typeof KINDS)[number];

export interface Interval {
  label: string;
  startedAt: number;
  endedAt: number;
  counts: Record<Kind, number>;
  errors: number;
  latencies: number[];
  /** The same samples by kind, to tell which kind of request a change in p99 comes from. */
  byKind: Record<Kind, number[]>;
  rssMiB?: number;
  load?: string;
}

export interface IntervalSummary {
  label: string;
  seconds: number;
  requests: number;
  counts: Record<Kind, number>;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  p99ByKind: Record<Kind, number>;
  rssMiB?: number;
  load?: string;
}

/** Nearest-rank percentile of unsorted samples (NaN when there are none). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const zeroCounts = (): Record<Kind, number> => ({ submit: 0, poll: 0, list: 0, follow: 0 });
const noSamples = (): Record<Kind, number[]> => ({ submit: [], poll: [], list: [], follow: [] });

/**
 * Collects samples into the interval that was current when each request was *issued*, so that a slow
 * answer counts against the moment the load caused it.
 */
export class Recorder {
  readonly intervals: Interval[] = [];
  /** The first few error descriptions, for the failure message. */
  readonly errorSamples: string[] = [];

  /** Closes the current interval (if any) and opens a new one; returns it so the caller can tag it. */
  begin(label: string): Interval {
    const now = performance.now();
    const prev = this.current();
    if (prev) prev.endedAt = now;
    const next: Interval = {
      label,
      startedAt: now,
      endedAt: now,
      counts: zeroCounts(),
      errors: 0,
      latencies: [],
      byKind: noSamples(),
    };
    this.intervals.push(next);
    return next;
  }

  /** Ends the last interval at the current time. */
  end(): void {
    const last = this.current();
    if (last) last.endedAt = performance.now();
  }

  /** Forgets the current interval; answers to its requests that arrive later go into the detached object. */
  dropCurrent(): void {
    this.intervals.pop();
  }

  current(): Interval | undefined {
    return this.intervals[this.intervals.length - 1];
  }

  /** One request: its latency, or an error (non-2xx or network) with a description. */
  record(interval: Interval, kind: Kind, ms: number, error?: string): void {
    interval.counts[kind]++;
    interval.latencies.push(ms);
    interval.byKind[kind].push(ms);
    if (error !== undefined) this.error(interval, `${kind}: ${error}`);
  }

  /** A failure that is not a request of its own (a stream that ended without the final state). */
  error(interval: Interval, description: string): void {
    interval.errors++;
    if (this.errorSamples.length < 10) this.errorSamples.push(`[${interval.label}] ${description}`);
  }
}

export function summarize(i: Interval): IntervalSummary {
  const requests = KINDS.reduce((n, k) => n + i.counts[k], 0);
  return {
    label: i.label,
    seconds: (i.endedAt - i.startedAt) / 1000,
    requests,
    counts: i.counts,
    errors: i.errors,
    p50: percentile(i.latencies, 50),
    p99: percentile(i.latencies, 99),
    max: i.latencies.length ? i.latencies.reduce((m, v) => Math.max(m, v), 0) : Number.NaN,
    p99ByKind: Object.fromEntries(KINDS.map((k) => [k, percentile(i.byKind[k], 99)])) as Record<Kind, number>,
    rssMiB: i.rssMiB,
    load: i.load,
  };
}

/**
 * Whether the last interval's p99 stayed within `factor` × the first one's plus `floorMs`. The floor
 * keeps a p99 of a few milliseconds from failing on scheduler noise (see load.test.ts for the values).
 */
export function p99Stable(first: IntervalSummary, last: IntervalSummary, factor: number, floorMs: number): boolean {
  return last.p99 <= first.p99 * factor + floorMs;
}

/** Whether memory at the end stayed within `factor` × the start plus `slackMiB`. */
export function rssFlat(startMiB: number, endMiB: number, factor: number, slackMiB: number): boolean {
  return endMiB <= startMiB * factor + slackMiB;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const markdown = (head: string[], lines: string[][]) => {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [row(head), row(head.map((_, k) => (k === 0 || k === head.length - 1 ? '---' : '---:'))), ...lines.map(row)].join('\n');
};

/** A Markdown table (readable on a terminal, pasteable into docs/reliability.md). */
export function formatTable(rows: IntervalSummary[]): string {
  const head = [
    'interval',
    's',
    'requests',
    'req/s',
    'submit',
    'poll',
    'list',
    'follow',
    'errors',
    'p50 ms',
    'p99 ms',
    'max ms',
    'RSS MiB',
    'load 1/5/15',
  ];
  const lines = rows.map((r) => [
    r.label,
    r.seconds.toFixed(0),
    String(r.requests),
    r.seconds > 0 ? (r.requests / r.seconds).toFixed(0) : '–',
    String(r.counts.submit),
    String(r.counts.poll),
    String(r.counts.list),
    String(r.counts.follow),
    String(r.errors),
    f1(r.p50),
    f1(r.p99),
    f1(r.max),
    r.rssMiB === undefined ? '–' : r.rssMiB.toFixed(0),
    r.load ?? '–',
  ]);
  return markdown(head, lines);
}

/** p99 by kind of request, per interval. */
export function formatKindTable(rows: IntervalSummary[]): string {
  const head = ['interval', ...KINDS.map((k) => `${k} p99 ms`), 'all p99 ms'];
  return markdown(
    head,
    rows.map((r) => [r.label, ...KINDS.map((k) => f1(r.p99ByKind[k])), f1(r.p99)]),
  );
}
