import { useCallback, useEffect, useRef, useState } from 'react';

export interface Poll<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Fetches now (and restarts the interval). */
  reload(): void;
}

/**
 * Calls `load` now and every `intervalMs` (never two at once; paused while the tab is hidden).
 * A change of `deps` starts over; the previous data stays shown until the new data arrives unless `reset`.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number | null, deps: unknown[]): Poll<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const ctrl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    setLoading(true);
    const run = async () => {
      if (stopped) return;
      if (document.hidden && intervalMs !== null) {
        timer = setTimeout(run, intervalMs);
        return;
      }
      try {
        const v = await loadRef.current(ctrl.signal);
        if (stopped) return;
        setData(v);
        setError(null);
      } catch (err) {
        if (stopped) return;
        setError(err);
      } finally {
        if (!stopped) setLoading(false);
      }
      if (!stopped && intervalMs !== null) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      ctrl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick, intervalMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** Runs an action, tracking busy and error state. */
export function useAction() {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T,>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(name);
    setError(null);
    try {
      return await fn();
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(null);
    }
  }, []);
  return { busy, error, setError, run };
}

/** Sets the document title. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Jobfleet` : 'Jobfleet';
  }, [title]);
}
