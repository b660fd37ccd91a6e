import { useEffect, useState, type ReactNode } from 'react';
import { Link, match, useRoute } from './router.tsx';
import { useSession, useUser } from './session.tsx';
import { LiveAnnouncer, Loading } from './ui.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { Overview } from './pages/Overview.tsx';
import { Jobs } from './pages/Jobs.tsx';
import { JobDetail } from './pages/JobDetail.tsx';
import { DeadLetters } from './pages/DeadLetters.tsx';
import { JobTypes, SubmitJob } from './pages/JobTypes.tsx';
import { Users } from './pages/Users.tsx';
import { ApiKeys } from './pages/ApiKeys.tsx';
import { Schedules } from './pages/Schedules.tsx';
import { NotFound } from './pages/NotFound.tsx';

export function App() {
  const { state } = useSession();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <LiveAnnouncer />
      {state.status === 'loading' ? (
        <main id="main" className="center-page">
          <Loading label="Opening Jobfleet…" />
        </main>
      ) : state.status === 'signed-out' ? (
        <SignIn reason={state.reason} />
      ) : (
        <Shell />
      )}
    </>
  );
}

interface NavItem {
  to: string;
  label: string;
  icon: ReactNode;
  show: boolean;
  /** Paths that light this item up. */
  prefix: string[];
}

const icon = (d: string) => (
  <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
    <path d={d} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
  </svg>
);

function Shell() {
  const { path } = useRoute();
  const { user, isAdmin, features } = useUser();
  const { signOut } = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [path]);

  const nav: NavItem[] = [
    { to: '/', label: 'Overview', icon: icon('M3 13h4v8H3zM10 8h4v13h-4zM17 3h4v18h-4z'), show: true, prefix: [] },
    { to: '/jobs', label: 'Jobs', icon: icon('M4 6h16M4 12h16M4 18h10'), show: true, prefix: ['/jobs'] },
    {
      to: '/dead-letters',
      label: 'Dead letters',
      icon: icon('M4 4h16v16H4zM4 4l8 8 8-8'),
      show: true,
      prefix: ['/dead-letters'],
    },
    {
      to: '/job-types',
      label: 'Job types',
      icon: icon('M12 3l9 5-9 5-9-5zM3 13l9 5 9-5'),
      show: true,
      prefix: ['/job-types', '/submit'],
    },
    {
      to: '/schedules',
      label: 'Schedules',
      icon: icon('M12 7v5l3 3M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0z'),
      show: features.schedules,
      prefix: ['/schedules'],
    },
    {
      to: '/users',
      label: 'Users',
      icon: icon('M16 21v-2a4 4 0 0 0-8 0v2M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z'),
      show: isAdmin,
      prefix: ['/users'],
    },
    {
      to: '/api-keys',
      label: 'API keys',
      icon: icon('M15 7a4 4 0 1 1-3.9 5H3v3h3v3h3v-3h2.1A4 4 0 0 1 15 7z'),
      show: true,
      prefix: ['/api-keys'],
    },
  ];
  const active = (item: NavItem) => (item.prefix.length === 0 ? path === '/' : item.prefix.some((p) => path.startsWith(p)));

  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Jobfleet overview">
          <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true" focusable="false">
            <rect x="2" y="2" width="28" height="28" rx="8" className="brand-bg" />
            <path d="M9 11h14M9 16h10M9 21h6" stroke="currentColor" strokeWidth="2.6" strokeLinecap="round" />
          </svg>
          <span>Jobfleet</span>
        </Link>
        <button
          type="button"
          className="btn btn-ghost menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          {icon(menuOpen ? 'M6 6l12 12M18 6L6 18' : 'M4 7h16M4 12h16M4 17h16')}
          <span>Menu</span>
        </button>
        <div className="account">
          <span className="account-name" title={user.email}>
            {user.name || user.email}
            <span className="account-role">{user.role}</span>
          </span>
          <button type="button" className="btn btn-ghost" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <nav id="primary-nav" className={`sidenav${menuOpen ? ' open' : ''}`} aria-label="Main">
        <ul>
          {nav
            .filter((n) => n.show)
            .map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={active(n) ? 'page' : undefined}>
                  {n.icon}
                  <span>{n.label}</span>
                </Link>
              </li>
            ))}
        </ul>
      </nav>
      <main id="main" className="content">
        <Page path={path} />
      </main>
    </div>
  );
}

function Page({ path }: { path: string }) {
  const { isAdmin, features } = useUser();
  let m: Record<string, string> | null;
  if (path === '/' || path === '/overview') return <Overview />;
  if (path === '/jobs') return <Jobs />;
  if ((m = match('/jobs/:id', path))) return <JobDetail key={m.id} id={m.id!} />;
  if (path === '/dead-letters') return <DeadLetters />;
  if (path === '/job-types') return <JobTypes />;
  if (path === '/submit') return <SubmitJob />;
  if (path === '/api-keys') return <ApiKeys />;
  if (path === '/users' && isAdmin) return <Users />;
  if (path === '/schedules' && features.schedules) return <Schedules />;
  return <NotFound />;
}
