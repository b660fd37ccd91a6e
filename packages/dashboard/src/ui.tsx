import { useEffect, useId, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { JobStatus } from '@jobfleet/client';
import { STATUS_TONE, type Tone } from './format.ts';
import { errorMessage } from './session.tsx';

// ------------------------------------------------------------------ announcements (aria-live)

let announcement = { text: '', n: 0 };
const announceListeners = new Set<() => void>();

/** Says something to screen readers through the page's polite live region. */
export function announce(text: string): void {
  announcement = { text, n: announcement.n + 1 };
  for (const fn of announceListeners) fn();
}

export function LiveAnnouncer() {
  const a = useSyncExternalStore(
    (fn) => {
      announceListeners.add(fn);
      return () => announceListeners.delete(fn);
    },
    () => announcement,
  );
  // The key remounts the node so that repeating the same words is announced again.
  return (
    <div className="sr-only" role="status" aria-live="polite" aria-atomic="true">
      <span key={a.n}>{a.text}</span>
    </div>
  );
}

// ------------------------------------------------------------------ page frame

/** The page heading; it takes the focus when the page opens so that keyboard and screen reader users land on it. */
export function PageHeader({ title, children, back }: { title: ReactNode; children?: ReactNode; back?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: false });
  }, []);
  return (
    <header className="page-header">
      <div>
        {back ? <div className="back">{back}</div> : null}
        <h1 ref={ref} tabIndex={-1}>
          {title}
        </h1>
      </div>
      {children ? <div className="page-actions">{children}</div> : null}
    </header>
  );
}

export function StatusBadge({ status }: { status: JobStatus }) {
  return (
    <span className={`badge tone-${STATUS_TONE[status] ?? 'neutral'}`} data-status={status}>
      {status}
    </span>
  );
}

export function Tag({ tone = 'neutral', children }: { tone?: Tone; children: ReactNode }) {
  return <span className={`badge tone-${tone}`}>{children}</span>;
}

export function ErrorNotice({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}.</strong> {errorMessage(error)}
    </div>
  );
}

export function Notice({ tone = 'info', children }: { tone?: 'info' | 'ok' | 'warn'; children: ReactNode }) {
  return <div className={`notice notice-${tone}`}>{children}</div>;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function JsonView({ value, label }: { value: unknown; label: string }) {
  const text = value === undefined ? '—' : JSON.stringify(value, null, 2);
  return (
    <pre className="code" aria-label={label} tabIndex={0}>
      <code>{text}</code>
    </pre>
  );
}

/** A button that asks for a second click before acting (no blocking dialogs). */
export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  disabled,
  tone = 'danger',
  busy,
}: {
  label: string;
  confirmLabel?: string;
  onConfirm: () => void;
  disabled?: boolean;
  tone?: 'danger' | 'secondary';
  busy?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className={`btn btn-${tone}`} disabled={disabled || busy} onClick={() => setAsking(true)}>
        {busy ? `${label}…` : label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={`Confirm: ${label}`}>
      <button
        ref={confirmRef}
        type="button"
        className="btn btn-danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel ?? `Yes, ${label.toLowerCase()}`}
      </button>
      <button type="button" className="btn btn-ghost" onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}

// ------------------------------------------------------------------ charts

/**
 * A small line chart of the last values (hand-rolled SVG). The numbers are in the label and caption too,
 * so the chart is never the only way to read them.
 */
export function Sparkline({
  values,
  label,
  format,
  max,
  tone = 'info',
  height = 56,
}: {
  values: number[];
  label: string;
  format: (v: number) => string;
  max?: number;
  tone?: Tone;
  height?: number;
}) {
  const id = useId();
  const width = 240;
  const n = Math.max(values.length, 2);
  const top = Math.max(max ?? 0, ...values, 1e-9);
  const pts = values.map((v, i) => {
    const x = values.length === 1 ? width : (i / (n - 1)) * width;
    const y = height - 4 - (Math.max(0, v) / top) * (height - 8);
    return [x, y] as const;
  });
  const line = pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const area = pts.length ? `0,${height} ${line} ${pts[pts.length - 1]![0].toFixed(1)},${height}` : '';
  const last = values.length ? values[values.length - 1]! : null;
  const desc = last === null ? `${label}: no data yet` : `${label}: now ${format(last)}, peak ${format(Math.max(...values))}`;
  return (
    <svg
      className={`spark tone-${tone}`}
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      role="img"
      aria-labelledby={id}
      height={height}
    >
      <title id={id}>{desc}</title>
      <line className="spark-base" x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} />
      {pts.length > 1 ? (
        <>
          <polygon className="spark-area" points={area} />
          <polyline className="spark-line" points={line} vectorEffect="non-scaling-stroke" />
        </>
      ) : null}
    </svg>
  );
}

export function ProgressBar({ value, label }: { value: number | null; label: string }) {
  const pct = value === null ? null : Math.max(0, Math.min(100, value));
  return (
    <div className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct ?? undefined}
        aria-valuetext={pct === null ? 'No progress reported' : `${Math.round(pct)}%`}
      >
        <div className={`progress-fill${pct === null ? ' indeterminate' : ''}`} style={{ width: `${pct ?? 0}%` }} />
      </div>
      <span className="progress-value">{pct === null ? '—' : `${Math.round(pct)}%`}</span>
    </div>
  );
}

/** A "mm:ss ago"-style clock that refreshes itself. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}
