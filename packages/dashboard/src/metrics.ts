/**
 * Throughput and failure rate from successive polls of the queue counts (DOM-free).
 * Counts are totals by state; rates are the growth of the finished counts between two polls.
 * Counts can shrink (retention, deletes, retries leaving FAILED): a shrinking count adds nothing.
 */
import type { JobStatus, Queue } from '@jobfleet/client';

export interface Sample {
  /** Milliseconds since the epoch. */
  at: number;
  completed: number;
  failed: number;
  dead: number;
}

export interface Rate {
  at: number;
  /** Jobs completed per second. */
  throughput: number;
  /** Failed attempts and dead letters per second. */
  failures: number;
  /** failures / (completions + failures) in [0, 1]; null when nothing finished. */
  failureRate: number | null;
}

const count = (q: Pick<Queue, 'counts'>, s: JobStatus): number => {
  const v = q.counts?.[s];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
};

/** One sample of the given queues (all of them summed). */
export function sampleOf(queues: Pick<Queue, 'counts'>[], at: number): Sample {
  const s: Sample = { at, completed: 0, failed: 0, dead: 0 };
  for (const q of queues) {
    s.completed += count(q, 'COMPLETED');
    s.failed += count(q, 'FAILED');
    s.dead += count(q, 'DEAD');
  }
  return s;
}

export function rateBetween(a: Sample, b: Sample): Rate {
  const dt = Math.max((b.at - a.at) / 1000, 0.001);
  const done = Math.max(0, b.completed - a.completed);
  const bad = Math.max(0, b.failed - a.failed) + Math.max(0, b.dead - a.dead);
  return { at: b.at, throughput: done / dt, failures: bad / dt, failureRate: done + bad > 0 ? bad / (done + bad) : null };
}

/** Rates between successive samples. */
export function ratesOf(samples: Sample[]): Rate[] {
  const out: Rate[] = [];
  for (let i = 1; i < samples.length; i++) out.push(rateBetween(samples[i - 1]!, samples[i]!));
  return out;
}

/** Appends, keeping at most `max` items. */
export function pushBounded<T>(list: T[], item: T, max: number): T[] {
  const next = list.length >= max ? list.slice(list.length - max + 1) : list.slice();
  next.push(item);
  return next;
}
