/** Number formats shared by the report's tables ("—" for what was not measured). */

export const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
export const ms = (x: number): string =>
  Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toString()) : '—';
/** Per-job costs are fractions of a millisecond: three decimals tell 0.045 from 0.054. */
export const msPerJob = (x: number): string => (Number.isFinite(x) && x < 1 ? x.toFixed(3) : ms(x));
export const ratio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
export const pct = (x: number): string => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : '—');
export const mib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(1) : '—');
