import { readFileSync } from 'node:fs';

/**
 * Reads other processes' CPU time and memory from /proc (Linux), for processes the benchmark does
 * not run itself: the Jobfleet server (HTTP workload) and PostgreSQL backends (scale-out).
 * Returns null where /proc is missing or the process is gone.
 */

// USER_HZ: 100 on every mainstream Linux build; Node has no sysconf to ask.
const TICK_MS = 10;
const MiB = 2 ** 20;

/** User + system CPU time of a process so far, ms. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * TICK_MS : null;
  } catch {
    return null;
  }
}

/** Current and peak (high-water mark) resident set size of a process, MiB. */
export function rssMiB(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: Math.round((kib('VmRSS') * 1024) / MiB), peak: Math.round((kib('VmHWM') * 1024) / MiB) };
  } catch {
    return null;
  }
}
