import { useState } from 'react';
import type { Job } from '@jobfleet/client';
import { api } from '../session.tsx';
import { useAction, usePoll, useTitle } from '../hooks.tsx';
import { formatDate, shortId } from '../format.ts';
import { href, Link, navigate, useRoute } from '../router.tsx';
import { announce, ConfirmButton, Empty, ErrorNotice, Loading, Notice, PageHeader } from '../ui.tsx';

const PAGE_SIZE = 25;

export function DeadLetters() {
  useTitle('Dead letters');
  const { query } = useRoute();
  const type = query.get('type') ?? '';
  const queue = query.get('queue') ?? '';
  const filterKey = `${type}|${queue}`;
  const [pager, setPager] = useState<{ key: string; stack: (string | undefined)[]; cursor: string | undefined }>({
    key: filterKey,
    stack: [],
    cursor: undefined,
  });
  const { stack, cursor } = pager.key === filterKey ? pager : { stack: [], cursor: undefined };
  const [open, setOpen] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const page = usePoll(
    () =>
      api.deadLetters.list({
        ...(type ? { type } : {}),
        ...(queue ? { queue } : {}),
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      }),
    2000,
    [filterKey, cursor],
  );
  const types = usePoll(() => api.jobTypes(), null, []);
  const action = useAction();

  async function replay(ids: string[] | null) {
    const filter = ids ? { ids } : { ...(type ? { type } : {}), ...(queue ? { queue } : {}) };
    const r = await action.run(ids ? `replay:${ids[0]}` : 'replay-all', () => api.deadLetters.replay(filter));
    if (!r) return;
    const msg = r.replayed === 1 ? 'Replayed 1 dead letter.' : `Replayed ${r.replayed} dead letters.`;
    setDone(msg);
    announce(msg);
    page.reload();
  }

  async function remove(job: Job) {
    const r = await action.run(`delete:${job.id}`, () => api.jobs.delete(job.id));
    if (!r) return;
    const msg = `Deleted job ${shortId(job.id)}.`;
    setDone(msg);
    announce(msg);
    page.reload();
  }

  const jobs = page.data?.jobs ?? [];
  return (
    <>
      <PageHeader title="Dead letters">
        <ConfirmButton
          label={type || queue ? 'Replay all matching' : 'Replay all'}
          confirmLabel="Yes, replay them"
          tone="secondary"
          onConfirm={() => void replay(null)}
          disabled={jobs.length === 0}
          busy={action.busy === 'replay-all'}
        />
      </PageHeader>
      <p className="lede">Jobs that used up their attempts. Inspect them, then replay them with fresh attempts or delete them.</p>
      <form className="filters spaced" aria-label="Filter dead letters" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="d-type">Type</label>
          <select
            id="d-type"
            value={type}
            onChange={(e) => navigate(href('/dead-letters', { type: e.target.value, queue }), { replace: true })}
          >
            <option value="">All types</option>
            {(types.data ?? []).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        {queue ? (
          <p className="filter-chip">
            Queue <strong>{queue}</strong>{' '}
            <Link to={href('/dead-letters', { type })} aria-label={`Remove the queue filter ${queue}`}>
              ×
            </Link>
          </p>
        ) : null}
      </form>
      {done ? <Notice tone="ok">{done}</Notice> : null}
      <ErrorNotice error={action.error} title="The action failed" />
      <ErrorNotice error={page.error} title="Could not load the dead letters" />
      {page.loading && !page.data ? <Loading /> : null}
      {page.data && jobs.length === 0 ? <Empty>No dead letters. Everything either succeeded or is still trying.</Empty> : null}
      {jobs.length > 0 ? (
        <ul className="dead-list" aria-label="Dead letters">
          {jobs.map((j) => {
            const expanded = open === j.id;
            return (
              <li key={j.id} className="card dead">
                <div className="dead-row">
                  <div className="dead-main">
                    <p className="dead-title">
                      <Link to={`/jobs/${j.id}`} className="mono" aria-label={`Job ${j.id}`}>
                        {shortId(j.id)}
                      </Link>{' '}
                      <strong>{j.type}</strong> <span className="muted">in {j.queue}</span>
                    </p>
                    <p className="dead-error">{j.error?.message ?? 'No error recorded.'}</p>
                    <p className="muted small">
                      Died {formatDate(j.finishedAt)} after {j.attempts} of {j.maxAttempts} attempts
                    </p>
                  </div>
                  <div className="row-actions">
                    <button
                      type="button"
                      className="btn btn-ghost"
                      aria-expanded={expanded}
                      aria-controls={`dead-${j.id}`}
                      onClick={() => setOpen(expanded ? null : j.id)}
                    >
                      {expanded ? 'Hide' : 'Inspect'}
                    </button>
                    <button
                      type="button"
                      className="btn btn-primary"
                      onClick={() => void replay([j.id])}
                      disabled={action.busy === `replay:${j.id}`}
                      aria-label={`Replay job ${j.id}`}
                    >
                      Replay
                    </button>
                    <ConfirmButton label="Delete" onConfirm={() => void remove(j)} busy={action.busy === `delete:${j.id}`} />
                  </div>
                </div>
                {expanded ? (
                  <div id={`dead-${j.id}`} className="dead-details">
                    <h3>Payload</h3>
                    <pre className="code" tabIndex={0}>
                      <code>{JSON.stringify(j.payload, null, 2) ?? '—'}</code>
                    </pre>
                    <h3>Errors</h3>
                    <ol className="error-list">
                      {(j.errors?.length ? j.errors : j.error ? [j.error] : []).map((e, i) => (
                        <li key={i}>
                          <p>
                            <strong>Attempt {e.attempt}</strong> · {formatDate(e.at)} — {e.message}
                          </p>
                          {e.stack ? (
                            <pre className="code stack" tabIndex={0}>
                              <code>{e.stack}</code>
                            </pre>
                          ) : null}
                        </li>
                      ))}
                    </ol>
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="btn btn-secondary"
          disabled={stack.length === 0}
          onClick={() => setPager({ key: filterKey, stack: stack.slice(0, -1), cursor: stack[stack.length - 1] })}
        >
          ← Previous
        </button>
        <span className="pager-info">Page {stack.length + 1}</span>
        <button
          type="button"
          className="btn btn-secondary"
          disabled={!page.data?.nextCursor}
          onClick={() => setPager({ key: filterKey, stack: [...stack, cursor], cursor: page.data?.nextCursor ?? undefined })}
        >
          Next →
        </button>
      </nav>
    </>
  );
}
