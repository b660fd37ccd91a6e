/** An error the user can fix by changing what they typed: exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An expected failure with a clear message (not found, refused, unreachable …): exit code 1. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** ANSI escape sequences, C0/C1 control characters, line separators and bidi overrides. */
// eslint-disable-next-line no-control-regex
const CONTROL = /\x1b\[[0-9;?]*[ -/]*[@-~]|[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Replaces control characters and escape sequences with spaces, so that output stays one honest line. */
export function sanitize(s: string): string {
  return s.replace(CONTROL, ' ');
}

/** One line describing an error, without stack, fit for stderr. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return oneLine(String(err));
  const code = (err as { code?: unknown }).code;
  let message = err.message || err.name;
  // Low-level connection failures get a hint instead of a bare errno.
  if (typeof code === 'string' && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET'].includes(code)) {
    message = `cannot connect to the database (${code}${message && !message.includes(code) ? `: ${message}` : ''}); check DATABASE_URL.`;
  } else if (err instanceof AggregateError && err.errors.length > 0) {
    return describeError(err.errors[0]);
  } else if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && 'severity' in err) {
    // A PostgreSQL error: keep its message, name the SQLSTATE.
    message = `database error: ${message} (SQLSTATE ${code})`;
  }
  return oneLine(message);
}

export function oneLine(s: string, max = 500): string {
  const flat = s.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function exitCodeOf(err: unknown): number {
  const c = (err as { exitCode?: unknown } | null)?.exitCode;
  return typeof c === 'number' && c > 0 ? c : 1;
}
