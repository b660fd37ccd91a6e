import { useState } from 'react';
import { JOB_STATUSES, type Queue } from '@jobfleet/client';
import { api, useUser } from '../session.tsx';
import { useAction, usePoll, useTitle } from '../hooks.tsx';
import { formatNumber } from '../format.ts';
import { pushBounded, rateBetween, ratesOf, sampleOf, type Rate, type Sample } from '../metrics.ts';
import { Link, href } from '../router.tsx';
import { announce, Empty, ErrorNotice, Loading, PageHeader, Sparkline, StatusBadge, Tag } from '../ui.tsx';

const WINDOW = 61;
/** The headline numbers average this many seconds of polls. */
const HEADLINE_SECONDS = 10;

interface History {
  total: Sample[];
  byQueue: Record<string, Sample[]>;
}

/** Kept while the app is open, so that coming back to the overview shows the last minute at once. */
let kept: History = { total: [], byQueue: {} };

const perSecond = (v: number) => `${formatNumber(v, 2)} jobs/s`;
const percent = (v: number) => `${formatNumber(v * 100, 1)}%`;

export function Overview() {
  useTitle('Overview');
  const { isAdmin } = useUser();
  const [history, setHistory] = useState<History>(() => {
    // Older than the window: of no use. Within it, the rate across the gap is still a true average.
    const fresh = kept.total.length > 0 && Date.now() - kept.total[kept.total.length - 1]!.at < 60_000;
    return fresh ? kept : { total: [], byQueue: {} };
  });

  // Every second: the counts by state; throughput and failure rate come from the growth between polls.
  const queues = usePoll(
    async () => {
      const list = await api.queues();
      const at = Date.now();
      setHistory((h) => {
        const next: History = { total: pushBounded(h.total, sampleOf(list, at), WINDOW), byQueue: {} };
        for (const q of list) next.byQueue[q.name] = pushBounded(h.byQueue[q.name] ?? [], sampleOf([q], at), WINDOW);
        kept = next;
        return next;
      });
      return list;
    },
    1000,
    [],
  );

  const action = useAction();
  async function toggle(q: Queue) {
    const done = await action.run(q.name, () => (q.paused ? api.resumeQueue(q.name) : api.pauseQueue(q.name)));
    if (done) announce(`Queue ${q.name} ${q.paused ? 'resumed' : 'paused'}.`);
    queues.reload();
  }

  const list = queues.data ?? [];
  const rates = ratesOf(history.total);
  const throughput = rates.map((r) => r.throughput);
  // Failure rate: where nothing finished, carry the last known value (0 at first) so the line stays readable.
  let carry = 0;
  const failure = rates.map((r) => (carry = r.failureRate ?? carry));
  const totals = Object.fromEntries(JOB_STATUSES.map((s) => [s, list.reduce((n, q) => n + (q.counts?.[s] ?? 0), 0)])) as Record<
    string,
    number
  >;
  const n = history.total.length;
  const headline: Rate | null =
    n >= 2 ? rateBetween(history.total[Math.max(0, n - 1 - HEADLINE_SECONDS)]!, history.total[n - 1]!) : null;

  return (
    <>
      <PageHeader title="Overview">
        <Link className="btn btn-primary" to="/job-types">
          Submit a job
        </Link>
      </PageHeader>
      <ErrorNotice error={queues.error} title="Could not load the queues" />
      <section className="stats" aria-label="Activity">
        <article className="card stat">
          <h2 className="stat-title">Throughput</h2>
          <p className="stat-value">
            {headline ? perSecond(headline.throughput) : '—'}
            <span className="stat-sub">completed, last {HEADLINE_SECONDS} s</span>
          </p>
          <Sparkline values={throughput} label="Throughput, last minute" format={perSecond} tone="ok" />
        </article>
        <article className="card stat">
          <h2 className="stat-title">Failure rate</h2>
          <p className="stat-value">
            {headline?.failureRate != null ? percent(headline.failureRate) : headline ? percent(0) : '—'}
            <span className="stat-sub">failed ÷ finished, last {HEADLINE_SECONDS} s</span>
          </p>
          <Sparkline values={failure} label="Failure rate, last minute" format={percent} max={1} tone="bad" />
        </article>
        <article className="card stat">
          <h2 className="stat-title">Right now</h2>
          <dl className="mini-counts">
            {(['QUEUED', 'RUNNING', 'SCHEDULED', 'DEAD'] as const).map((s) => (
              <div key={s}>
                <dt>
                  <Link to={href(s === 'DEAD' ? '/dead-letters' : '/jobs', { status: s === 'DEAD' ? undefined : s })}>
                    {s.toLowerCase()}
                  </Link>
                </dt>
                <dd>{formatNumber(totals[s] ?? 0)}</dd>
              </div>
            ))}
          </dl>
        </article>
      </section>

      <section aria-labelledby="queues-title">
        <h2 id="queues-title">Queues</h2>
        <ErrorNotice error={action.error} title="The queue could not be changed" />
        {queues.loading && !queues.data ? <Loading /> : null}
        {queues.data && list.length === 0 ? <Empty>No queue yet: submit a job to create one.</Empty> : null}
        <div className="queue-grid">
          {list.map((q) => {
            const qRates = ratesOf(history.byQueue[q.name] ?? []);
            return (
              <article key={q.name} className="card queue" aria-labelledby={`q-${q.name}`}>
                <header className="queue-head">
                  <h3 id={`q-${q.name}`}>
                    <Link to={href('/jobs', { queue: q.name })}>{q.name}</Link>
                  </h3>
                  {q.paused ? <Tag tone="warn">paused</Tag> : <Tag tone="ok">active</Tag>}
                </header>
                <table className="counts">
                  <caption className="sr-only">Jobs in queue {q.name} by state</caption>
                  <tbody>
                    {JOB_STATUSES.map((s) => (
                      <tr key={s}>
                        <th scope="row">
                          <StatusBadge status={s} />
                        </th>
                        <td>
                          <Link
                            to={
                              s === 'DEAD'
                                ? href('/dead-letters', { queue: q.name })
                                : href('/jobs', { queue: q.name, status: s })
                            }
                          >
                            {formatNumber(q.counts?.[s] ?? 0)}
                          </Link>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <Sparkline
                  values={qRates.map((r) => r.throughput)}
                  label={`Throughput of ${q.name}, last minute`}
                  format={perSecond}
                  tone="ok"
                  height={36}
                />
                {isAdmin ? (
                  <button
                    type="button"
                    className={`btn ${q.paused ? 'btn-primary' : 'btn-secondary'}`}
                    onClick={() => void toggle(q)}
                    disabled={action.busy === q.name}
                    aria-label={`${q.paused ? 'Resume' : 'Pause'} queue ${q.name}`}
                  >
                    {q.paused ? 'Resume' : 'Pause'}
                  </button>
                ) : null}
              </article>
            );
          })}
        </div>
      </section>
    </>
  );
}
