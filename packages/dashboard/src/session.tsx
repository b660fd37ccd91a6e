import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { JobfleetApiError, JobfleetHttpClient, type FetchLike, type LoginResult, type User } from '@jobfleet/client';

const TOKEN_KEY = 'jobfleet.token';

function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function storeToken(token: string | undefined): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: memory only */
  }
}

let onExpired: () => void = () => {};
let refreshing: Promise<boolean> | null = null;

/** Exchanges the HTTP-only refresh cookie for a new access token (once for concurrent callers). */
function refreshSession(): Promise<boolean> {
  refreshing ??= api
    .request<LoginResult>('POST', '/auth/refresh', { body: {}, anonymous: true })
    .then((r) => {
      api.token = r.token;
      storeToken(r.token);
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/**
 * fetch with one retry after a 401: the access token lives 15 minutes, the refresh cookie much longer.
 * Same origin, so the browser sends the session cookies too.
 */
const sessionFetch: FetchLike = async (input, init) => {
  const res = await fetch(input, { credentials: 'same-origin', ...init });
  if (res.status !== 401 || input.includes('/api/v1/auth/')) return res;
  if (!(await refreshSession())) {
    onExpired();
    return res;
  }
  const headers = new Headers(init?.headers);
  if (api.token) headers.set('authorization', `Bearer ${api.token}`);
  return fetch(input, { credentials: 'same-origin', ...init, headers });
};

/** The one SDK client of the page (same origin as the dashboard). */
export const api = new JobfleetHttpClient({ baseUrl: window.location.origin, token: storedToken(), fetch: sessionFetch });

export type SessionState =
  { status: 'loading' } | { status: 'signed-out'; reason?: string } | { status: 'signed-in'; user: User; features: Features };

export interface Features {
  /** GET /api/v1/schedules answers (the schedules API is optional). */
  schedules: boolean;
}

interface SessionApi {
  state: SessionState;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionApi | null>(null);

async function probeFeatures(): Promise<Features> {
  const schedules = await api
    .request('GET', '/schedules', { query: { limit: 1 } })
    .then(() => true)
    .catch(() => false);
  return { schedules };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  useEffect(() => {
    onExpired = () => {
      api.token = undefined;
      storeToken(undefined);
      setState({ status: 'signed-out', reason: 'Your session has ended. Please sign in again.' });
    };
    let cancelled = false;
    (async () => {
      // A token in this tab, or the session cookie: either answers /auth/me.
      try {
        let user: User;
        try {
          user = await api.me();
        } catch (err) {
          if (!(err instanceof JobfleetApiError && err.status === 401) || !(await refreshSession())) throw err;
          user = await api.me();
        }
        const features = await probeFeatures();
        if (!cancelled) setState({ status: 'signed-in', user, features });
      } catch {
        api.token = undefined;
        storeToken(undefined);
        if (!cancelled) setState({ status: 'signed-out' });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  const signIn = useCallback(async (email: string, password: string) => {
    const r = await api.login({ email, password });
    storeToken(r.token);
    const features = await probeFeatures();
    setState({ status: 'signed-in', user: r.user, features });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      /* the cookies are cleared or expire anyway */
    }
    storeToken(undefined);
    setState({ status: 'signed-out' });
  }, []);

  const value = useMemo(() => ({ state, signIn, signOut }), [state, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in user (pages under the signed-in layout only). */
export function useUser(): { user: User; isAdmin: boolean; features: Features } {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('Not signed in');
  return { user: state.user, isAdmin: state.user.role === 'admin', features: state.features };
}

/** A readable message for any error (API errors carry the server's message; validation issues are listed). */
export function errorMessage(err: unknown): string {
  if (err instanceof JobfleetApiError) {
    const d = err.details as { issues?: { path?: string; message?: string }[] } | null | undefined;
    const issues = Array.isArray(d?.issues)
      ? d.issues
          .slice(0, 5)
          .map((i) => [i.path, i.message].filter(Boolean).join(': '))
          .join('; ')
      : '';
    return issues ? `${err.message} (${issues})` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
