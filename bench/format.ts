/** Number formats shared by the report's tables ("—" for what was not measured). */

export const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
export const ms = (x: number): string =>
  Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toString()) : '—';
export const ratio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
export const pct = (x: number): string => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : '—');
export const mib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(1) : '—');
