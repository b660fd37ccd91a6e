import { useCallback, useEffect, useRef, useState } from 'react';
import { JobfleetApiError, type Job, type JobLogLine, type JobStatus, type ServerSentEvent } from '@jobfleet/client';
import { api } from '../session.tsx';
import { useAction, useTitle } from '../hooks.tsx';
import { formatDate, formatDuration, isFinished, jobTimeline, runTime, shortId } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import {
  announce,
  ConfirmButton,
  ErrorNotice,
  JsonView,
  Loading,
  PageHeader,
  ProgressBar,
  StatusBadge,
  Tag,
  useNow,
} from '../ui.tsx';

type Live = 'connecting' | 'live' | 'ended' | 'polling';

interface EventData {
  status?: JobStatus;
  progress?: number | null;
  message?: string | null;
  at?: string;
  attempt?: number;
  job?: Job;
}

function mergeLogs(a: JobLogLine[], b: JobLogLine[]): JobLogLine[] {
  const seen = new Set(a.map((l) => `${l.at}|${l.message}`));
  return [...a, ...b.filter((l) => !seen.has(`${l.at}|${l.message}`))];
}

export function JobDetail({ id }: { id: string }) {
  useTitle(`Job ${shortId(id)}`);
  const [job, setJob] = useState<Job | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [live, setLive] = useState<Live>('connecting');
  const [epoch, setEpoch] = useState(0);
  const lastStatus = useRef<JobStatus | null>(null);
  const logsRef = useRef<HTMLOListElement>(null);
  const logCount = job?.logs?.length ?? 0;

  // New log lines scroll into view, unless the reader scrolled up to read older ones.
  useEffect(() => {
    const el = logsRef.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [logCount]);
  const now = useNow();

  const applyJob = useCallback((j: Job) => {
    setJob((prev) => (prev ? { ...j, logs: mergeLogs(j.logs ?? [], prev.logs ?? []) } : j));
  }, []);

  // Status changes are announced to screen readers.
  useEffect(() => {
    if (!job) return;
    if (lastStatus.current && lastStatus.current !== job.status) announce(`Job is now ${job.status}.`);
    lastStatus.current = job.status;
  }, [job]);

  // The live stream: GET /jobs/:id/events through the SDK. It ends by itself once the job is finished;
  // when it breaks, reconnect with a backoff and poll meanwhile so that the page never goes stale.
  useEffect(() => {
    const ctrl = new AbortController();
    let stopped = false;
    let finished = false;
    const handle = (ev: ServerSentEvent) => {
      const d = (ev.data ?? {}) as EventData;
      if (ev.event === 'state') {
        if (d.job) applyJob(d.job);
        else if (d.status) setJob((prev) => (prev ? { ...prev, status: d.status!, attempts: d.attempt ?? prev.attempts } : prev));
        if (d.status && isFinished(d.status)) finished = true;
      } else if (ev.event === 'progress') {
        setJob((prev) =>
          prev ? { ...prev, progress: d.progress ?? prev.progress, progressMessage: d.message ?? prev.progressMessage } : prev,
        );
      } else if (ev.event === 'log' && d.message) {
        const line = { at: d.at ?? new Date().toISOString(), message: d.message };
        setJob((prev) => (prev ? { ...prev, logs: mergeLogs(prev.logs ?? [], [line]) } : prev));
      }
    };
    (async () => {
      let delay = 1000;
      while (!stopped) {
        setLive('connecting');
        try {
          let first = true;
          for await (const ev of api.jobs.events(id, { signal: ctrl.signal })) {
            if (first) {
              setLive('live');
              setLoadError(null);
              first = false;
              delay = 1000;
            }
            handle(ev);
          }
          if (stopped) return;
          if (finished) {
            setLive('ended');
            return;
          }
        } catch (err) {
          if (stopped) return;
          if (err instanceof JobfleetApiError && (err.status === 404 || err.status === 403)) {
            setLoadError(err);
            setLive('ended');
            return;
          }
        }
        // Broken stream: one fresh read now, then try the stream again.
        setLive('polling');
        try {
          const j = await api.jobs.get(id);
          if (stopped) return;
          applyJob(j);
          if (isFinished(j.status)) {
            setLive('ended');
            return;
          }
        } catch (err) {
          if (!stopped) setLoadError(err);
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 15_000);
      }
    })();
    return () => {
      stopped = true;
      ctrl.abort();
    };
  }, [id, epoch, applyJob]);

  const action = useAction();
  async function act(name: 'cancel' | 'retry' | 'delete') {
    const r = await action.run(name, () => api.jobs[name](id));
    if (!r) return;
    if (name === 'delete') {
      announce('Job deleted.');
      navigate('/jobs');
      return;
    }
    applyJob(r);
    announce(name === 'cancel' ? 'Cancellation requested.' : 'Job queued again.');
    setEpoch((e) => e + 1); // follow the job again
  }

  if (!job) {
    return (
      <>
        <PageHeader title={`Job ${shortId(id)}`} back={<Link to="/jobs">← Jobs</Link>} />
        {loadError ? <ErrorNotice error={loadError} title="Could not load the job" /> : <Loading />}
      </>
    );
  }

  const finished = isFinished(job.status);
  const canRetry = job.status === 'FAILED' || job.status === 'DEAD' || job.status === 'CANCELLED';
  const timeline = jobTimeline(job);

  return (
    <>
      <PageHeader
        title={
          <>
            {job.type} <span className="mono muted">{shortId(job.id)}</span>
          </>
        }
        back={<Link to="/jobs">← Jobs</Link>}
      >
        {!finished ? (
          <ConfirmButton
            label="Cancel"
            confirmLabel="Yes, cancel it"
            onConfirm={() => void act('cancel')}
            busy={action.busy === 'cancel'}
          />
        ) : null}
        {canRetry ? (
          <button type="button" className="btn btn-primary" onClick={() => void act('retry')} disabled={action.busy === 'retry'}>
            {job.status === 'FAILED' ? 'Retry now' : 'Retry'}
          </button>
        ) : null}
        {job.status !== 'RUNNING' ? (
          <ConfirmButton
            label="Delete"
            confirmLabel="Yes, delete"
            onConfirm={() => void act('delete')}
            busy={action.busy === 'delete'}
          />
        ) : null}
      </PageHeader>
      <ErrorNotice error={action.error} title="The action failed" />
      {loadError && job ? <ErrorNotice error={loadError} title="Live updates interrupted" /> : null}

      <section className="card summary" aria-label="Summary">
        <div className="summary-status">
          <span className="label" id="status-label">
            State
          </span>
          <span aria-labelledby="status-label" data-testid="job-status">
            <StatusBadge status={job.status} />
          </span>
          <span className={`live live-${live}`} title="Updates from the server's event stream">
            <span className="dot" aria-hidden="true" />
            {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : live === 'polling' ? 'Reconnecting…' : 'Final'}
          </span>
        </div>
        <div className="summary-progress">
          <span>
            <span className="label">Progress</span>
            {job.progressMessage ? <span className="progress-message"> {job.progressMessage}</span> : null}
          </span>
          {job.progress === null && finished ? (
            <span className="muted">{job.status === 'COMPLETED' ? 'Done' : 'No progress reported'}</span>
          ) : (
            <ProgressBar value={job.progress} label="Job progress" />
          )}
        </div>
        <dl className="facts">
          <div>
            <dt>Id</dt>
            <dd className="mono selectable">{job.id}</dd>
          </div>
          <div>
            <dt>Queue</dt>
            <dd>
              <Link to={`/jobs?queue=${encodeURIComponent(job.queue)}`}>{job.queue}</Link>
            </dd>
          </div>
          <div>
            <dt>Attempts</dt>
            <dd>
              {job.attempts} of {job.maxAttempts}
            </dd>
          </div>
          <div>
            <dt>Priority</dt>
            <dd>{job.priority}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDate(job.createdAt)}</dd>
          </div>
          <div>
            <dt>Run at</dt>
            <dd>{formatDate(job.runAt)}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatDate(job.startedAt)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{formatDate(job.finishedAt)}</dd>
          </div>
          <div>
            <dt>Run time</dt>
            <dd>{formatDuration(runTime(job, now))}</dd>
          </div>
          {job.workerId ? (
            <div>
              <dt>Worker</dt>
              <dd className="mono">{job.workerId}</dd>
            </div>
          ) : null}
          {job.batchId ? (
            <div>
              <dt>Batch</dt>
              <dd className="mono">{job.batchId}</dd>
            </div>
          ) : null}
          {job.cancelRequested && !finished ? (
            <div>
              <dt>Cancel</dt>
              <dd>
                <Tag tone="warn">requested</Tag>
              </dd>
            </div>
          ) : null}
        </dl>
      </section>

      <div className="detail-grid">
        <section className="card" aria-labelledby="payload-title">
          <h2 id="payload-title">Payload</h2>
          <JsonView value={job.payload} label="Payload" />
        </section>
        <section className="card" aria-labelledby="result-title">
          <h2 id="result-title">Result</h2>
          {job.status === 'COMPLETED' ? (
            <div data-testid="job-result">
              <JsonView value={job.result} label="Result" />
            </div>
          ) : (
            <p className="muted">{finished ? 'No result.' : 'Not finished yet.'}</p>
          )}
        </section>
      </div>

      {job.error ? (
        <section className="card error-card" aria-labelledby="error-title">
          <h2 id="error-title">Error</h2>
          <p className="error-message">
            {job.error.name && job.error.name !== 'Error' ? <strong>{job.error.name}: </strong> : null}
            {job.error.message}
            {job.error.code ? <span className="muted"> (code {job.error.code})</span> : null}
          </p>
          {job.error.stack ? (
            <details>
              <summary>Stack trace</summary>
              <pre className="code stack" tabIndex={0}>
                <code>{job.error.stack}</code>
              </pre>
            </details>
          ) : null}
        </section>
      ) : null}

      <div className="detail-grid">
        <section className="card" aria-labelledby="timeline-title">
          <h2 id="timeline-title">Timeline</h2>
          <ol className="timeline">
            {timeline.map((t, i) => (
              <li key={i} className={`tone-${t.tone}`}>
                <span className="timeline-dot" aria-hidden="true" />
                <div>
                  <p className="timeline-title">{t.title}</p>
                  <p className="timeline-at">{t.at ? <time dateTime={t.at}>{formatDate(t.at)}</time> : '—'}</p>
                  {t.detail ? <p className="timeline-detail">{t.detail}</p> : null}
                  {t.stack && i !== timeline.length - 1 ? (
                    <details>
                      <summary>Stack trace</summary>
                      <pre className="code stack" tabIndex={0}>
                        <code>{t.stack}</code>
                      </pre>
                    </details>
                  ) : null}
                </div>
              </li>
            ))}
          </ol>
        </section>
        <section className="card" aria-labelledby="logs-title">
          <h2 id="logs-title">Logs</h2>
          {job.logs?.length ? (
            <ol ref={logsRef} className="logs" aria-live="polite" aria-relevant="additions" tabIndex={0} aria-label="Log lines">
              {job.logs.map((l, i) => (
                <li key={i}>
                  <time dateTime={l.at}>{new Date(l.at).toLocaleTimeString()}</time> <span>{l.message}</span>
                </li>
              ))}
            </ol>
          ) : (
            <p className="muted">No log lines.</p>
          )}
        </section>
      </div>

      {job.metadata && Object.keys(job.metadata).length ? (
        <section className="card" aria-labelledby="meta-title">
          <h2 id="meta-title">Metadata</h2>
          <JsonView value={job.metadata} label="Metadata" />
        </section>
      ) : null}
    </>
  );
}
