import { Cron } from 'croner';
import { InvalidCronError, InvalidTimezoneError } from './errors.ts';

/**
 * Cron expressions, checked here with messages that name the faulty field, then parsed by croner.
 * Accepted: 5 fields (minute hour day-of-month month day-of-week), 6 fields (seconds first), or a
 * nickname (@yearly @annually @monthly @weekly @daily @midnight @hourly). Day-of-month and
 * day-of-week combine with OR, as in Vixie cron. Times are wall-clock times in the schedule's
 * IANA time zone; around DST changes croner's rules apply: a fixed time (`30 2 * * *`) that falls
 * in the spring gap runs at the first valid time after it and runs once when the autumn hour repeats;
 * an interval (`*\/30 * * * *`) skips times in the gap and runs on both occurrences of a repeated hour.
 */

interface Field {
  name: string;
  min: number;
  max: number;
  /** Letters allowed in this field (month and weekday names, L, W, #); checked by croner. */
  letters: boolean;
}

const SECOND: Field = { name: 'second', min: 0, max: 59, letters: false };
const FIVE: Field[] = [
  { name: 'minute', min: 0, max: 59, letters: false },
  { name: 'hour', min: 0, max: 23, letters: false },
  { name: 'day-of-month', min: 1, max: 31, letters: true },
  { name: 'month', min: 1, max: 12, letters: true },
  { name: 'day-of-week', min: 0, max: 7, letters: true },
];

const NICKNAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MAX_LENGTH = 200;
const INT = /^\d+$/;

/** Returns the canonical IANA name (e.g. "utc" → "UTC"), or throws InvalidTimezoneError. */
export function validateTimezone(timezone: unknown): string {
  if (typeof timezone !== 'string' || timezone.trim() === '' || /^[+-]/.test(timezone.trim())) {
    throw new InvalidTimezoneError(String(timezone));
  }
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: timezone.trim() }).resolvedOptions().timeZone;
  } catch {
    throw new InvalidTimezoneError(timezone);
  }
}

/** Normalises whitespace and checks every field; throws InvalidCronError naming what is wrong. */
export function normalizeCron(expression: unknown): string {
  if (typeof expression !== 'string') throw new InvalidCronError(String(expression), 'a cron expression must be a string.');
  const expr = expression.trim().replace(/\s+/g, ' ');
  if (expr === '') throw new InvalidCronError(expression, 'it is empty; use 5 fields such as "0 9 * * *" (every day at 09:00).');
  if (expr.length > MAX_LENGTH)
    throw new InvalidCronError(expr.slice(0, 40) + '…', `it is longer than ${MAX_LENGTH} characters.`);
  if (expr.startsWith('@')) {
    const nick = expr.toLowerCase();
    if (!NICKNAMES.includes(nick)) {
      throw new InvalidCronError(expr, `unknown nickname; use one of ${NICKNAMES.join(', ')}.`);
    }
    return nick;
  }
  const parts = expr.split(' ');
  if (parts.length !== 5 && parts.length !== 6) {
    throw new InvalidCronError(
      expr,
      `it has ${parts.length} field${parts.length === 1 ? '' : 's'}; use 5 (minute hour day-of-month month day-of-week), ` +
        '6 (second minute hour day-of-month month day-of-week), or a nickname such as @hourly.',
    );
  }
  const fields = parts.length === 6 ? [SECOND, ...FIVE] : FIVE;
  parts.forEach((part, i) => checkField(expr, fields[i] as Field, part));
  return expr;
}

function checkField(expr: string, f: Field, text: string): void {
  const fail = (reason: string, value = text) =>
    new InvalidCronError(expr, `the ${f.name} field "${text}" ${reason}`, { field: f.name, value });
  const allowed = f.letters ? /^[0-9A-Za-z*?,\-/#]+$/ : /^[0-9*?,\-/]+$/;
  if (!allowed.test(text)) {
    throw fail(
      f.letters
        ? 'contains characters that are not allowed (use numbers, names, * ? , - / L W #).'
        : `contains characters that are not allowed (use numbers from ${f.min} to ${f.max}, *, ranges a-b, lists a,b and steps */n).`,
    );
  }
  for (const item of text.split(',')) {
    if (item === '') throw fail('has an empty list item.');
    const [base, step, ...rest] = item.split('/');
    if (rest.length) throw fail(`has more than one "/" in "${item}".`, item);
    if (step !== undefined) {
      if (!INT.test(step)) throw fail(`has a step "${step}" that is not a whole number.`, step);
      const n = Number(step);
      if (n < 1 || n > f.max - f.min + 1) throw fail(`has a step of ${n}; it must be between 1 and ${f.max - f.min + 1}.`, step);
      if (base === '' || base === undefined) throw fail(`has a step without a start ("${item}"); write */${step}.`, item);
    }
    if (base === undefined || base === '*' || base === '?') continue;
    if (/[A-Za-z#]/.test(base)) continue; // names, L, W, nth weekday: croner checks these
    const bounds = base.split('-');
    if (bounds.length > 2 || bounds.some((b) => !INT.test(b)))
      throw fail(`has "${base}", which is not a number or a range a-b.`, base);
    for (const b of bounds) {
      const n = Number(b);
      if (n < f.min || n > f.max) throw fail(`has ${n}, out of range: ${f.name} must be from ${f.min} to ${f.max}.`, b);
    }
    if (bounds.length === 2 && Number(bounds[0]) > Number(bounds[1])) {
      throw fail(`has the range ${base}, which runs backwards.`, base);
    }
  }
}

const CRONER_FIELDS = ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week', 'year'];

const cache = new Map<string, Cron>();
const CACHE_SIZE = 1000;

/** A paused croner instance for the expression in the time zone (cached); throws the typed errors. */
export function parseCron(expression: string, timezone = 'UTC'): Cron {
  const key = `${timezone}\u0000${expression}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const tz = validateTimezone(timezone);
  const expr = normalizeCron(expression);
  let cron: Cron;
  try {
    cron = new Cron(expr, { timezone: tz, paused: true, mode: expr.startsWith('@') ? 'auto' : '5-or-6-parts' });
  } catch (err) {
    const msg = ((err as Error).message ?? String(err))
      .replace(/^CronPattern:\s*/, '')
      .replace(/^CronDate:\s*/, '')
      // croner numbers the fields of its 7-part form (seconds first, year last)
      .replace(/configuration entry (\d)/, (_m, i: string) => `the ${CRONER_FIELDS[Number(i)] ?? 'field #' + i} field`);
    if (/time ?zone/i.test(msg)) throw new InvalidTimezoneError(timezone);
    throw new InvalidCronError(expr, msg.endsWith('.') ? msg : msg + '.');
  }
  if (cron.nextRun(new Date()) === null) {
    throw new InvalidCronError(expr, 'it never fires (a date that does not exist, such as 30 February?).');
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, cron);
  return cache.get(key) as Cron;
}

/** Validates an expression and a time zone together; returns both normalised. */
export function validateCron(expression: unknown, timezone: unknown = 'UTC'): { cron: string; timezone: string } {
  const tz = validateTimezone(timezone);
  const cron = normalizeCron(expression);
  parseCron(cron, tz);
  return { cron, timezone: tz };
}

/** The first fire time strictly after `after`, or null if there is none. */
export function nextRun(expression: string, timezone: string, after: Date): Date | null {
  return parseCron(expression, timezone).nextRun(after);
}

/** The next n fire times strictly after `from`. */
export function nextRuns(expression: string, timezone: string, from: Date, n: number): Date[] {
  if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new RangeError('n must be an integer from 0 to 10000.');
  return parseCron(expression, timezone).nextRuns(n, from);
}

/** Up to n fire times t with from <= t <= to, newest first. */
export function recentRuns(expression: string, timezone: string, from: Date, to: Date, n: number): Date[] {
  if (n <= 0 || to.getTime() < from.getTime()) return [];
  // previousRuns excludes its reference itself, so look back from 1 ms later to include `to`.
  const runs = parseCron(expression, timezone).previousRuns(n, new Date(to.getTime() + 1));
  return runs.filter((d) => d.getTime() >= from.getTime() && d.getTime() <= to.getTime());
}
