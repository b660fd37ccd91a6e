import { sanitize } from './config.ts';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Cut longer cells to this many characters (default 60). */
  max?: number;
}

/** Renders rows as an aligned plain-text table. Cells are stripped of control characters. */
export function table<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r), c.max ?? 60)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

export function cell(v: unknown, max = 60): string {
  let s: string;
  if (v === null || v === undefined) s = '-';
  else if (v instanceof Date) s = v.toISOString();
  else if (typeof v === 'string') s = v;
  else s = JSON.stringify(v) ?? String(v);
  s = sanitize(s);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Aligned "key: value" lines. */
export function details(pairs: [string, unknown][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${cell(v, 2000)}`).join('\n');
}

/** JSON for machines: one document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A framed block, for what must not be missed (the first admin password). */
export function box(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length));
  const top = `╔${'═'.repeat(width + 2)}╗`;
  const bottom = `╚${'═'.repeat(width + 2)}╝`;
  return [top, ...lines.map((l) => `║ ${l.padEnd(width)} ║`), bottom].join('\n');
}
