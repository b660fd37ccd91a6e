import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { JOB_STATUSES, type Job, type JobStatus } from '@jobfleet/client';
import { api } from '../session.tsx';
import { usePoll, useTitle } from '../hooks.tsx';
import { formatDate, formatDuration, relativeTime, runTime, shortId, UUID_RE } from '../format.ts';
import { href, Link, navigate, useRoute } from '../router.tsx';
import { announce, Empty, ErrorNotice, Loading, PageHeader, ProgressBar, StatusBadge, useNow } from '../ui.tsx';

const PAGE_SIZE = 25;

export function Jobs() {
  useTitle('Jobs');
  const { query } = useRoute();
  const status = (query.get('status') ?? '') as JobStatus | '';
  const type = query.get('type') ?? '';
  const queue = query.get('queue') ?? '';
  const filterKey = `${status}|${type}|${queue}`;

  // Cursor pagination: the cursors of the pages before this one, and this page's cursor.
  // A change of filters starts again from the first page.
  const [pager, setPager] = useState<{ key: string; stack: (string | undefined)[]; cursor: string | undefined }>({
    key: filterKey,
    stack: [],
    cursor: undefined,
  });
  const { stack, cursor } = pager.key === filterKey ? pager : { stack: [], cursor: undefined };

  const types = usePoll(() => api.jobTypes(), null, []);
  const queues = usePoll(() => api.queues(), null, []);
  const previous = useRef<Map<string, JobStatus>>(new Map());

  const page = usePoll(
    async () => {
      const p = await api.jobs.list({
        ...(status ? { status } : {}),
        ...(type ? { type } : {}),
        ...(queue ? { queue } : {}),
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      });
      // Status changes since the last refresh go to the live region.
      const changed = p.jobs.filter((j) => {
        const before = previous.current.get(j.id);
        return before !== undefined && before !== j.status;
      });
      previous.current = new Map(p.jobs.map((j) => [j.id, j.status]));
      if (changed.length === 1) announce(`Job ${shortId(changed[0]!.id)} is now ${changed[0]!.status}.`);
      else if (changed.length > 1) announce(`${changed.length} jobs changed status.`);
      return p;
    },
    1500,
    [filterKey, cursor],
  );

  const setFilter = (name: string, value: string) => {
    const next = { status, type, queue, [name]: value };
    navigate(href('/jobs', next), { replace: true });
  };

  const [search, setSearch] = useState('');
  const [searchError, setSearchError] = useState<string | null>(null);
  function find(e: FormEvent) {
    e.preventDefault();
    const id = search.trim();
    if (!UUID_RE.test(id)) {
      setSearchError('Enter a full job id (a UUID such as 0190b7c2-…).');
      return;
    }
    setSearchError(null);
    navigate(`/jobs/${id}`);
  }

  const jobs = page.data?.jobs ?? [];
  const pageNo = stack.length + 1;

  return (
    <>
      <PageHeader title="Jobs">
        <Link className="btn btn-primary" to="/job-types">
          Submit a job
        </Link>
      </PageHeader>

      <div className="toolbar">
        <form className="filters" aria-label="Filter jobs" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor="f-status">State</label>
            <select id="f-status" value={status} onChange={(e) => setFilter('status', e.target.value)}>
              <option value="">All states</option>
              {JOB_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-type">Type</label>
            <select id="f-type" value={type} onChange={(e) => setFilter('type', e.target.value)}>
              <option value="">All types</option>
              {type && !types.data?.some((t) => t.name === type) ? <option value={type}>{type}</option> : null}
              {(types.data ?? []).map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-queue">Queue</label>
            <select id="f-queue" value={queue} onChange={(e) => setFilter('queue', e.target.value)}>
              <option value="">All queues</option>
              {queue && !queues.data?.some((q) => q.name === queue) ? <option value={queue}>{queue}</option> : null}
              {(queues.data ?? []).map((q) => (
                <option key={q.name} value={q.name}>
                  {q.name}
                </option>
              ))}
            </select>
          </div>
          {status || type || queue ? (
            <button type="button" className="btn btn-ghost" onClick={() => navigate('/jobs', { replace: true })}>
              Clear filters
            </button>
          ) : null}
        </form>
        <form className="search" role="search" aria-label="Find a job by id" onSubmit={find}>
          <div className="field">
            <label htmlFor="f-id">Job id</label>
            <div className="input-group">
              <input
                id="f-id"
                type="search"
                placeholder="Paste a job id"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
                aria-invalid={searchError ? true : undefined}
                aria-describedby={searchError ? 'f-id-error' : undefined}
                spellCheck={false}
                autoComplete="off"
              />
              <button type="submit" className="btn btn-secondary">
                Open
              </button>
            </div>
            {searchError ? (
              <p id="f-id-error" className="field-error">
                {searchError}
              </p>
            ) : null}
          </div>
        </form>
      </div>

      <ErrorNotice error={page.error} title="Could not load the jobs" />
      {page.loading && !page.data ? <Loading /> : null}
      {page.data && jobs.length === 0 ? <Empty>No job matches these filters.</Empty> : null}
      {jobs.length > 0 ? <JobTable jobs={jobs} caption={`Jobs, page ${pageNo}, refreshed live`} /> : null}

      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="btn btn-secondary"
          disabled={stack.length === 0}
          onClick={() => {
            setPager({ key: filterKey, stack: stack.slice(0, -1), cursor: stack[stack.length - 1] });
          }}
        >
          ← Previous
        </button>
        <span className="pager-info" aria-live="polite">
          Page {pageNo}
        </span>
        <button
          type="button"
          className="btn btn-secondary"
          disabled={!page.data?.nextCursor}
          onClick={() => {
            setPager({ key: filterKey, stack: [...stack, cursor], cursor: page.data?.nextCursor ?? undefined });
          }}
        >
          Next →
        </button>
      </nav>
    </>
  );
}

export function JobTable({ jobs, caption, actions }: { jobs: Job[]; caption: string; actions?: (job: Job) => ReactNode }) {
  const now = useNow();
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Type</th>
            <th scope="col" className="hide-sm">
              Queue
            </th>
            <th scope="col">State</th>
            <th scope="col" className="hide-sm">
              Attempts
            </th>
            <th scope="col" className="hide-md">
              Progress
            </th>
            <th scope="col" className="hide-sm">
              Created
            </th>
            <th scope="col" className="hide-md">
              Run time
            </th>
            {actions ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id}>
              <td>
                <Link to={`/jobs/${j.id}`} className="mono" aria-label={`Job ${j.id}`} title={j.id}>
                  {shortId(j.id)}
                </Link>
              </td>
              <td>{j.type}</td>
              <td className="hide-sm">{j.queue}</td>
              <td>
                <StatusBadge status={j.status} />
              </td>
              <td className="hide-sm num">
                {j.attempts}/{j.maxAttempts}
              </td>
              <td className="hide-md">
                {j.status === 'RUNNING' || j.progress !== null ? (
                  <ProgressBar value={j.progress} label={`Progress of job ${shortId(j.id)}`} />
                ) : (
                  '—'
                )}
              </td>
              <td className="hide-sm">
                <time dateTime={j.createdAt} title={formatDate(j.createdAt)}>
                  {relativeTime(j.createdAt, now)}
                </time>
              </td>
              <td className="hide-md num">{formatDuration(runTime(j, now))}</td>
              {actions ? <td className="row-actions">{actions(j)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
