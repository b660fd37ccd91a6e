import { useState, type FormEvent } from 'react';
import type { Job } from '@jobfleet/client';
import { api } from '../session.tsx';
import { useAction, usePoll, useTitle } from '../hooks.tsx';
import { formatDate, relativeTime } from '../format.ts';
import { navigate } from '../router.tsx';
import { announce, ConfirmButton, Empty, ErrorNotice, Loading, Notice, PageHeader, Tag, useNow } from '../ui.tsx';

/** The schedules API (`/api/v1/schedules`); this page shows only when it answers. */
interface Schedule {
  id: string;
  name: string;
  description?: string | null;
  cron: string;
  timezone: string;
  jobType: string;
  payload?: unknown;
  isActive: boolean;
  lastRun: string | null;
  nextRun: string | null;
  lastError?: string | null;
  source?: 'api' | 'code';
}

const seg = encodeURIComponent;

export function Schedules() {
  useTitle('Schedules');
  const now = useNow(5000);
  const schedules = usePoll(
    async () => {
      const body = await api.request<{ schedules?: Schedule[] } | Schedule[]>('GET', '/schedules', { query: { limit: 200 } });
      return Array.isArray(body) ? body : (body?.schedules ?? []);
    },
    5000,
    [],
  );
  const action = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const say = (msg: string) => {
    setNotice(msg);
    announce(msg);
  };

  async function toggle(s: Schedule) {
    const r = await action.run(s.id, () =>
      api.request<Schedule>('POST', `/schedules/${seg(s.id)}/${s.isActive ? 'pause' : 'resume'}`),
    );
    if (r) say(`Schedule ${s.name} ${s.isActive ? 'paused' : 'resumed'}.`);
    schedules.reload();
  }
  async function trigger(s: Schedule) {
    const job = await action.run(s.id, () => api.request<Job>('POST', `/schedules/${seg(s.id)}/trigger`));
    if (job) navigate(`/jobs/${job.id}`);
  }
  async function remove(s: Schedule) {
    const r = await action.run(s.id, () => api.request('DELETE', `/schedules/${seg(s.id)}`));
    if (r !== undefined) say(`Schedule ${s.name} deleted.`);
    schedules.reload();
  }

  const list = schedules.data ?? [];
  return (
    <>
      <PageHeader title="Schedules" />
      <p className="lede">Cron rules that submit a job of a given type on a timetable.</p>
      <CreateSchedule
        onCreated={(s) => {
          say(`Schedule ${s.name} created.`);
          schedules.reload();
        }}
      />
      {notice ? <Notice tone="ok">{notice}</Notice> : null}
      <ErrorNotice error={action.error} title="The schedule could not be changed" />
      <ErrorNotice error={schedules.error} title="Could not load the schedules" />
      {schedules.loading && !schedules.data ? <Loading /> : null}
      {schedules.data && list.length === 0 ? <Empty>No schedules yet.</Empty> : null}
      {list.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Schedules</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="hide-sm">
                  Job type
                </th>
                <th scope="col">Cron</th>
                <th scope="col" className="hide-sm">
                  Next run
                </th>
                <th scope="col" className="hide-md">
                  Last run
                </th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.id}>
                  <td>
                    {s.name}
                    {s.lastError ? <p className="field-error">{s.lastError}</p> : null}
                  </td>
                  <td className="hide-sm mono">{s.jobType}</td>
                  <td>
                    <code>{s.cron}</code> <span className="muted small">{s.timezone}</span>
                  </td>
                  <td className="hide-sm">
                    {s.nextRun ? (
                      <time dateTime={s.nextRun} title={formatDate(s.nextRun)}>
                        {relativeTime(s.nextRun, now)}
                      </time>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="hide-md">{formatDate(s.lastRun)}</td>
                  <td>{s.isActive ? <Tag tone="ok">active</Tag> : <Tag tone="warn">paused</Tag>}</td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="btn btn-secondary"
                      onClick={() => void trigger(s)}
                      disabled={action.busy === s.id}
                      aria-label={`Run ${s.name} now`}
                    >
                      Run now
                    </button>
                    <button
                      type="button"
                      className="btn btn-ghost"
                      onClick={() => void toggle(s)}
                      disabled={action.busy === s.id}
                      aria-label={`${s.isActive ? 'Pause' : 'Resume'} ${s.name}`}
                    >
                      {s.isActive ? 'Pause' : 'Resume'}
                    </button>
                    {s.source !== 'code' ? (
                      <ConfirmButton label="Delete" onConfirm={() => void remove(s)} busy={action.busy === s.id} />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function CreateSchedule({ onCreated }: { onCreated: (s: Schedule) => void }) {
  const types = usePoll(() => api.jobTypes(), null, []);
  const [name, setName] = useState('');
  const [jobType, setJobType] = useState('');
  const [cron, setCron] = useState('*/5 * * * *');
  const [timezone, setTimezone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [payload, setPayload] = useState('');
  const [payloadError, setPayloadError] = useState<string | null>(null);
  const [preview, setPreview] = useState<string[] | null>(null);
  const action = useAction();

  async function showPreview() {
    const r = await action.run('preview', () =>
      api.request<{ runs?: string[]; nextRuns?: string[] } | string[]>('POST', '/schedules/preview', {
        body: { cron, timezone, count: 5 },
      }),
    );
    if (r) setPreview(Array.isArray(r) ? r : (r.runs ?? r.nextRuns ?? []));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    let parsed: unknown;
    if (payload.trim()) {
      try {
        parsed = JSON.parse(payload);
      } catch (err) {
        setPayloadError(`Not valid JSON: ${(err as Error).message}`);
        return;
      }
    }
    setPayloadError(null);
    const s = await action.run('create', () =>
      api.request<Schedule>('POST', '/schedules', {
        body: {
          name: name.trim(),
          cron: cron.trim(),
          timezone,
          ...(jobType ? { jobType } : {}),
          ...(parsed !== undefined ? { payload: parsed } : {}),
        },
      }),
    );
    if (!s) return;
    setName('');
    setPayload('');
    setPreview(null);
    onCreated(s);
  }

  return (
    <details className="card create">
      <summary>New schedule</summary>
      <form className="inline-form" onSubmit={submit}>
        <ErrorNotice error={action.error} title="That did not work" />
        <div className="field">
          <label htmlFor="s-name">Name</label>
          <input id="s-name" type="text" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="s-type">Job type</label>
          <select id="s-type" required value={jobType} onChange={(e) => setJobType(e.target.value)}>
            <option value="">Choose…</option>
            {(types.data ?? []).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="s-cron">Cron</label>
          <input
            id="s-cron"
            type="text"
            className="mono"
            required
            value={cron}
            onChange={(e) => setCron(e.target.value)}
            aria-describedby="s-cron-hint"
            spellCheck={false}
          />
          <p id="s-cron-hint" className="hint">
            minute hour day month weekday, or @hourly, @daily…
          </p>
        </div>
        <div className="field">
          <label htmlFor="s-tz">Time zone</label>
          <input id="s-tz" type="text" required value={timezone} onChange={(e) => setTimezone(e.target.value)} />
        </div>
        <div className="field wide">
          <label htmlFor="s-payload">
            Payload (JSON) <span className="muted">(optional)</span>
          </label>
          <textarea
            id="s-payload"
            className="mono"
            rows={3}
            value={payload}
            onChange={(e) => setPayload(e.target.value)}
            aria-invalid={payloadError ? true : undefined}
            aria-describedby={payloadError ? 's-payload-error' : undefined}
            spellCheck={false}
          />
          {payloadError ? (
            <p id="s-payload-error" className="field-error">
              {payloadError}
            </p>
          ) : null}
        </div>
        {preview ? (
          <div className="wide">
            <p className="hint">Next runs:</p>
            <ul className="link-list small">
              {preview.map((r) => (
                <li key={r}>{formatDate(r)}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={action.busy !== null}>
            {action.busy === 'create' ? 'Creating…' : 'Create schedule'}
          </button>
          <button type="button" className="btn btn-secondary" onClick={() => void showPreview()} disabled={action.busy !== null}>
            Preview next runs
          </button>
        </div>
      </form>
    </details>
  );
}
