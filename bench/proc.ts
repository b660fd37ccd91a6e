import { readdirSync, readFileSync } from 'node:fs';

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

/** A process and its descendants (the service's copies under `--processes`), from /proc/<pid>/stat. */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // Gone in between.
      }
    }
  } catch {
    return [pid];
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  return tree;
}

/** CPU time of a process tree so far, ms (null when the root is gone). */
export function treeCpuMs(pids: number[]): number | null {
  const each = pids.map(cpuMs);
  return each[0] === null ? null : each.reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
}
