import { useMemo, useState, type FormEvent } from 'react';
import type { EnqueueOptions, JobType } from '@jobfleet/client';
import { api } from '../session.tsx';
import { usePoll, useTitle } from '../hooks.tsx';
import { buildPayload, formModel, initialValues, keyOf, type Field, type FormValues } from '../schema-form.ts';
import { formatDate, formatDuration } from '../format.ts';
import { href, Link, navigate, useRoute } from '../router.tsx';
import { announce, Empty, ErrorNotice, Loading, PageHeader, Tag } from '../ui.tsx';

export function JobTypes() {
  useTitle('Job types');
  const types = usePoll(() => api.jobTypes(), 5000, []);
  const list = types.data ?? [];
  return (
    <>
      <PageHeader title="Job types" />
      <p className="lede">What this fleet can run. Pick one to submit a job; its form comes from the type's payload schema.</p>
      <ErrorNotice error={types.error} title="Could not load the job types" />
      {types.loading && !types.data ? <Loading /> : null}
      {types.data && list.length === 0 ? <Empty>No job type is registered and no worker has published one.</Empty> : null}
      <ul className="type-grid" aria-label="Job types">
        {list.map((t) => (
          <li key={t.name} className="card type">
            <h2 className="type-name">{t.name}</h2>
            <p className="type-desc">{t.description ?? <span className="muted">No description.</span>}</p>
            <dl className="facts compact">
              <div>
                <dt>Queue</dt>
                <dd>{t.queue}</dd>
              </div>
              <div>
                <dt>Attempts</dt>
                <dd>{t.maxAttempts}</dd>
              </div>
              <div>
                <dt>Timeout</dt>
                <dd>{t.timeoutMs ? formatDuration(t.timeoutMs) : 'none'}</dd>
              </div>
              <div>
                <dt>Workers</dt>
                <dd>{t.workers > 0 ? <Tag tone="ok">{t.workers} live</Tag> : <Tag tone="neutral">local</Tag>}</dd>
              </div>
            </dl>
            <div className="type-actions">
              <Link className="btn btn-primary" to={href('/submit', { type: t.name })} aria-label={`Submit a ${t.name} job`}>
                Submit
              </Link>
              <Link className="btn btn-ghost" to={href('/jobs', { type: t.name })} aria-label={`Jobs of type ${t.name}`}>
                Jobs
              </Link>
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}

export function SubmitJob() {
  const { query } = useRoute();
  const name = query.get('type') ?? '';
  useTitle(name ? `Submit ${name}` : 'Submit a job');
  const types = usePoll(() => api.jobTypes(), null, []);
  const type = types.data?.find((t) => t.name === name);
  return (
    <>
      <PageHeader title={name ? `Submit ${name}` : 'Submit a job'} back={<Link to="/job-types">← Job types</Link>} />
      <ErrorNotice error={types.error} title="Could not load the job types" />
      {types.loading && !types.data ? <Loading /> : null}
      {types.data && !type ? (
        <div className="card">
          <p>Choose a job type:</p>
          <ul className="link-list">
            {types.data.map((t) => (
              <li key={t.name}>
                <Link to={href('/submit', { type: t.name })}>{t.name}</Link>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {type ? <SubmitForm key={type.name} type={type} /> : null}
    </>
  );
}

function SubmitForm({ type }: { type: JobType }) {
  const model = useMemo(() => formModel(type.payloadSchema), [type.payloadSchema]);
  const [values, setValues] = useState<FormValues>(() => initialValues(model));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [priority, setPriority] = useState('');
  const [delay, setDelay] = useState('');
  const [maxAttempts, setMaxAttempts] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: string, v: string | boolean) => setValues((s) => ({ ...s, [k]: v }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const built = buildPayload(model, values);
    if (!built.ok) {
      setErrors(built.errors);
      const first = Object.keys(built.errors)[0];
      if (first) document.getElementById(`field-${first}`)?.focus();
      return;
    }
    setErrors({});
    const options: EnqueueOptions = {};
    if (priority.trim()) options.priority = Number(priority);
    if (delay.trim()) options.delay = Math.round(Number(delay) * 1000);
    if (maxAttempts.trim()) options.maxAttempts = Number(maxAttempts);
    setBusy(true);
    try {
      const job = await api.jobs.submit({
        type: type.name,
        ...(built.payload !== undefined ? { payload: built.payload } : {}),
        ...(Object.keys(options).length ? { options } : {}),
      });
      announce(`Job submitted: ${job.status}.`);
      navigate(`/jobs/${job.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  const fields: Field[] = model.mode === 'object' ? model.fields : model.mode === 'single' ? [model.field] : [];
  return (
    <form className="card form" onSubmit={submit} aria-label={`Submit ${type.name}`} noValidate>
      <p className="form-intro">
        {type.description ?? 'Fill in the payload.'} <span className="muted">Queue {type.queue}.</span>
      </p>
      <ErrorNotice error={error} title="The job was not submitted" />
      <fieldset>
        <legend className={model.mode === 'object' ? undefined : 'sr-only'}>Payload</legend>
        {model.mode === 'json' ? (
          <div className="field">
            <label htmlFor="field-$payload">Payload (JSON)</label>
            <textarea
              id="field-$payload"
              className="mono"
              rows={8}
              value={String(values.$payload ?? '')}
              placeholder={model.placeholder}
              onChange={(e) => set('$payload', e.target.value)}
              aria-invalid={errors.$payload ? true : undefined}
              aria-describedby={`help-$payload${errors.$payload ? ' error-$payload' : ''}`}
              spellCheck={false}
            />
            <p id="help-$payload" className="hint">
              {type.payloadSchema
                ? 'Any JSON value that matches the schema below.'
                : 'This type declares no schema: any JSON value, or leave empty.'}
            </p>
            {errors.$payload ? (
              <p id="error-$payload" className="field-error">
                {errors.$payload}
              </p>
            ) : null}
          </div>
        ) : (
          fields.map((f) => (
            <FieldInput key={keyOf(f)} field={f} value={values[keyOf(f)]} error={errors[keyOf(f)]} onChange={set} />
          ))
        )}
      </fieldset>
      <details className="advanced">
        <summary>Options</summary>
        <div className="options-grid">
          <div className="field">
            <label htmlFor="opt-priority">Priority</label>
            <input
              id="opt-priority"
              type="number"
              step={1}
              inputMode="numeric"
              placeholder={String(type.priority)}
              value={priority}
              onChange={(e) => setPriority(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="opt-delay">Delay (seconds)</label>
            <input
              id="opt-delay"
              type="number"
              min={0}
              step="any"
              placeholder="0"
              value={delay}
              onChange={(e) => setDelay(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="opt-attempts">Max attempts</label>
            <input
              id="opt-attempts"
              type="number"
              min={1}
              step={1}
              inputMode="numeric"
              placeholder={String(type.maxAttempts)}
              value={maxAttempts}
              onChange={(e) => setMaxAttempts(e.target.value)}
            />
          </div>
        </div>
      </details>
      {type.payloadSchema ? (
        <details className="advanced">
          <summary>Payload schema</summary>
          <pre className="code" tabIndex={0}>
            <code>{JSON.stringify(type.payloadSchema, null, 2)}</code>
          </pre>
        </details>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit job'}
        </button>
        <span className="muted small">{type.lastSeenAt ? `Last worker seen ${formatDate(type.lastSeenAt)}` : ''}</span>
      </div>
    </form>
  );
}

function FieldInput({
  field: f,
  value,
  error,
  onChange,
}: {
  field: Field;
  value: string | boolean | undefined;
  error: string | undefined;
  onChange: (k: string, v: string | boolean) => void;
}) {
  const k = keyOf(f);
  const id = `field-${k}`;
  const help = [f.description, rangeHint(f)].filter(Boolean).join(' ');
  const describedBy = [help ? `help-${k}` : '', error ? `error-${k}` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: f.name || 'payload',
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy,
    required: f.required,
  } as const;
  const text = typeof value === 'string' ? value : '';
  let input;
  if (f.kind === 'boolean') {
    return (
      <div className="field field-check">
        <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(k, e.target.checked)} />
        <label htmlFor={id}>{f.label}</label>
        {help ? (
          <p id={`help-${k}`} className="hint">
            {help}
          </p>
        ) : null}
      </div>
    );
  } else if (f.kind === 'enum') {
    input = (
      <select {...common} value={text} onChange={(e) => onChange(k, e.target.value)}>
        {!f.required || text === '' ? <option value="">{f.required ? 'Choose…' : '(none)'}</option> : null}
        {(f.options ?? []).map((o, i) => (
          <option key={i} value={String(i)}>
            {o === null ? 'null' : String(o)}
          </option>
        ))}
      </select>
    );
  } else if (f.kind === 'number' || f.kind === 'integer') {
    input = (
      <input
        {...common}
        type="number"
        inputMode={f.kind === 'integer' ? 'numeric' : 'decimal'}
        step={f.kind === 'integer' ? 1 : 'any'}
        min={f.minimum}
        max={f.maximum}
        value={text}
        onChange={(e) => onChange(k, e.target.value)}
      />
    );
  } else if (f.kind === 'json') {
    input = (
      <textarea
        {...common}
        className="mono"
        rows={5}
        value={text}
        onChange={(e) => onChange(k, e.target.value)}
        spellCheck={false}
      />
    );
  } else if (f.multiline) {
    input = <textarea {...common} rows={4} maxLength={f.maxLength} value={text} onChange={(e) => onChange(k, e.target.value)} />;
  } else {
    input = <input {...common} type="text" maxLength={f.maxLength} value={text} onChange={(e) => onChange(k, e.target.value)} />;
  }
  return (
    <div className="field">
      <label htmlFor={id}>
        {f.label}
        {f.kind === 'json' ? ' (JSON)' : ''}
        {!f.name ? null : f.required ? (
          <span className="req" aria-hidden="true">
            {' '}
            *
          </span>
        ) : (
          <span className="muted"> (optional)</span>
        )}
      </label>
      {input}
      {help ? (
        <p id={`help-${k}`} className="hint">
          {help}
        </p>
      ) : null}
      {error ? (
        <p id={`error-${k}`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function rangeHint(f: Field): string {
  const parts: string[] = [];
  if (f.kind === 'integer') parts.push('A whole number');
  if (f.minimum !== undefined && f.maximum !== undefined) parts.push(`from ${f.minimum} to ${f.maximum}`);
  else if (f.minimum !== undefined) parts.push(`at least ${f.minimum}`);
  else if (f.maximum !== undefined) parts.push(`at most ${f.maximum}`);
  if (f.maxLength !== undefined && f.maxLength < 100_000) parts.push(`up to ${f.maxLength} characters`);
  const s = parts.join(', ');
  return s ? `${s[0]!.toUpperCase()}${s.slice(1)}.` : '';
}
