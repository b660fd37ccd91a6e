import type { LogLevel } from './config.ts';
import { oneLine } from './errors.ts';

const ORDER: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

/** The CLI's own diagnostics: short lines on stderr (stdout is for results and the start banner). */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
}

export function createLog(level: LogLevel, verbose: boolean): Log {
  const at = ORDER[level];
  const write = (lvl: LogLevel, message: string) => {
    if (ORDER[lvl] < at) return;
    process.stderr.write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${message}\n`);
  };
  return {
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m, err) => {
      const detail = err === undefined ? '' : `: ${err instanceof Error ? err.message : String(err)}`;
      write('error', oneLine(`${m}${detail}`, 2000));
      if (verbose && err instanceof Error && err.stack && ORDER.error >= at) process.stderr.write(`${err.stack}\n`);
    },
  };
}
