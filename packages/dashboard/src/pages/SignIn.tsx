import { useState, type FormEvent } from 'react';
import { errorMessage, useSession } from '../session.tsx';
import { useTitle } from '../hooks.tsx';

export function SignIn({ reason }: { reason?: string | undefined }) {
  useTitle('Sign in');
  const { signIn } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <main id="main" className="center-page">
      <form className="card signin" onSubmit={submit} aria-labelledby="signin-title" noValidate={false}>
        <div className="signin-brand" aria-hidden="true">
          <svg viewBox="0 0 32 32" width="40" height="40">
            <rect x="2" y="2" width="28" height="28" rx="8" className="brand-bg" />
            <path d="M9 11h14M9 16h10M9 21h6" stroke="currentColor" strokeWidth="2.6" strokeLinecap="round" />
          </svg>
        </div>
        <h1 id="signin-title">Sign in to Jobfleet</h1>
        {reason ? <p className="notice notice-warn">{reason}</p> : null}
        {error ? (
          <p className="notice notice-error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="field">
          <label htmlFor="signin-email">Email</label>
          <input
            id="signin-email"
            type="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="signin-password">Password</label>
          <input
            id="signin-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="hint">On first start the server prints the admin's generated password once.</p>
      </form>
    </main>
  );
}
