/** Small formatting helpers (DOM-free). */
import type { Job, JobStatus } from '@jobfleet/client';

export const FINISHED: readonly JobStatus[] = ['COMPLETED', 'DEAD', 'CANCELLED'];
export const isFinished = (s: JobStatus): boolean => FINISHED.includes(s);

/** A short form of a job id: its last 8 characters (ids are UUIDv7, whose first characters are a timestamp shared by neighbours). */
export const shortId = (id: string): string => `…${id.slice(-8)}`;

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  const abs = Math.abs(s);
  const unit =
    abs < 60
      ? `${abs} s`
      : abs < 3600
        ? `${Math.round(abs / 60)} min`
        : abs < 86400
          ? `${Math.round(abs / 3600)} h`
          : `${Math.round(abs / 86400)} d`;
  return s >= 0 ? `${unit} ago` : `in ${unit}`;
}

/** How long the job ran (or has been running). */
export function runTime(job: Pick<Job, 'startedAt' | 'finishedAt' | 'status'>, now = Date.now()): number | null {
  if (!job.startedAt) return null;
  const start = new Date(job.startedAt).getTime();
  const end = job.finishedAt ? new Date(job.finishedAt).getTime() : job.status === 'RUNNING' ? now : null;
  return end === null ? null : Math.max(0, end - start);
}

export function formatNumber(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '—';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString();
  return n.toFixed(n === Math.round(n) ? 0 : digits);
}

export function toJson(v: unknown): string {
  if (v === undefined) return '—';
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return String(v);
  }
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Tone = 'neutral' | 'info' | 'run' | 'ok' | 'warn' | 'bad';

export const STATUS_TONE: Record<JobStatus, Tone> = {
  SCHEDULED: 'neutral',
  QUEUED: 'info',
  RUNNING: 'run',
  COMPLETED: 'ok',
  FAILED: 'warn',
  DEAD: 'bad',
  CANCELLED: 'neutral',
};

export interface TimelineEntry {
  at: string | null;
  title: string;
  detail?: string;
  stack?: string;
  tone: Tone;
}

/** The job's story: created, each failed attempt (from errors[]), and where it stands now. */
export function jobTimeline(job: Job): TimelineEntry[] {
  const out: TimelineEntry[] = [{ at: job.createdAt, title: 'Submitted', tone: 'neutral' }];
  if (job.status === 'SCHEDULED' && job.attempts === 0) out.push({ at: job.runAt, title: 'Scheduled to run', tone: 'neutral' });
  const errors = [...(job.errors ?? [])].sort((a, b) => a.at.localeCompare(b.at) || a.attempt - b.attempt);
  let lastAttempt = 0;
  for (const e of errors) {
    // Attempts count again from 1 after a replay or a manual retry of a dead or cancelled job.
    if (e.attempt <= lastAttempt) out.push({ at: null, title: 'Replayed with fresh attempts', tone: 'info' });
    lastAttempt = e.attempt;
    const entry: TimelineEntry = {
      at: e.at,
      title: `Attempt ${e.attempt} failed`,
      detail: [e.name && e.name !== 'Error' ? e.name : '', e.message].filter(Boolean).join(': '),
      tone: 'bad',
    };
    if (e.stack) entry.stack = e.stack;
    out.push(entry);
  }
  switch (job.status) {
    case 'RUNNING':
      out.push({ at: job.startedAt, title: `Attempt ${job.attempts} running`, tone: 'run' });
      break;
    case 'COMPLETED':
      out.push({ at: job.finishedAt, title: `Attempt ${job.attempts} completed`, tone: 'ok' });
      break;
    case 'FAILED':
    case 'SCHEDULED':
    case 'QUEUED':
      if (job.attempts > 0)
        out.push({ at: job.runAt, title: `Attempt ${job.attempts + 1} of ${job.maxAttempts} pending`, tone: 'warn' });
      break;
    case 'DEAD':
      out.push({
        at: job.finishedAt,
        title: 'Moved to the dead letters',
        detail: `after ${job.attempts} of ${job.maxAttempts} attempts`,
        tone: 'bad',
      });
      break;
    case 'CANCELLED':
      out.push({ at: job.finishedAt ?? job.updatedAt, title: 'Cancelled', tone: 'neutral' });
      break;
  }
  return out;
}
