import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CliError } from './errors.ts';

/**
 * PGlite has no lock of its own: two processes opening the same data folder would corrupt it.
 * Every command that opens the embedded database first takes this lock file (pid and role);
 * a lock left by a process that died is taken over.
 */
export interface EmbeddedLock {
  readonly file: string;
  release(): void;
}

interface LockInfo {
  pid: number;
  role: string;
  startedAt: string;
}

export function acquireEmbeddedLock(dataDir: string, role: string): EmbeddedLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'jobfleet.lock');
  const info: LockInfo = { pid: process.pid, role, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CliError(`cannot use the embedded database folder ${dataDir}: ${(err as Error).message}`);
      }
      const holder = readLock(file);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new CliError(inUseMessage(holder, dataDir));
      }
      // Stale (its process is gone) or unreadable: take it over.
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(info));
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      const current = readLock(file);
      if (current?.pid === process.pid) rmSync(file, { force: true });
    };
    process.on('exit', release);
    return { file, release };
  }
  throw new CliError(`cannot lock the embedded database folder ${dataDir}; another jobfleet process keeps taking it.`);
}

function inUseMessage(holder: LockInfo, dataDir: string): string {
  if (holder.role === 'start' || holder.role === 'api') {
    return `the embedded database is in use by a running \`jobfleet ${holder.role}\` (pid ${holder.pid}); use the HTTP API or stop it (data folder ${dataDir}).`;
  }
  return `the embedded database is in use by another jobfleet process (\`jobfleet ${holder.role}\`, pid ${holder.pid}); wait for it to finish (data folder ${dataDir}).`;
}

function readLock(file: string): LockInfo | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0) return null;
    return {
      pid: parsed.pid,
      role: typeof parsed.role === 'string' ? parsed.role : 'unknown',
      startedAt: String(parsed.startedAt ?? ''),
    };
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
