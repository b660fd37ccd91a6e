import { invalid } from '../errors.ts';

/** Exactly one of two spellings of the same argument (the seeds disagree on names). */
export function exactlyOne<T>(args: Record<string, T | null | undefined>, what: string): T {
  const given = Object.entries(args).filter(([, v]) => v !== undefined && v !== null);
  const names = Object.keys(args).join(' or ');
  if (given.length === 0) throw invalid(`${what}: give ${names}.`);
  if (given.length > 1) throw invalid(`${what}: give only one of ${names}.`);
  return given[0]![1] as T;
}

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** Drops null and undefined values (GraphQL sends explicit nulls for omitted-by-intent fields). */
export function compact<T extends Record<string, unknown>>(o: T): Partial<{ [K in keyof T]: NonNullable<T[K]> }> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out as Partial<{ [K in keyof T]: NonNullable<T[K]> }>;
}

export function parseDate(value: string, field: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw invalid(`${field} must be an ISO 8601 date-time.`);
  return d;
}
