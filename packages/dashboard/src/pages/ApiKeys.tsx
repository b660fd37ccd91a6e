import { useState, type FormEvent } from 'react';
import type { ApiKey, ApiScope } from '@jobfleet/client';
import { api, useUser } from '../session.tsx';
import { useAction, usePoll, useTitle } from '../hooks.tsx';
import { formatDate } from '../format.ts';
import { announce, ConfirmButton, Empty, ErrorNotice, Loading, Notice, PageHeader, Tag } from '../ui.tsx';

const SCOPES: { scope: ApiScope; help: string; adminOnly?: boolean }[] = [
  { scope: 'jobs:read', help: 'list and follow jobs' },
  { scope: 'jobs:write', help: 'submit, cancel, retry and delete jobs' },
  { scope: 'schedules:read', help: 'list schedules' },
  { scope: 'schedules:write', help: 'change schedules' },
  { scope: 'admin', help: 'everything (administrators only)', adminOnly: true },
];

export function ApiKeys() {
  useTitle('API keys');
  const { isAdmin } = useUser();
  const keys = usePoll(() => api.apiKeys.list(), null, []);
  const action = useAction();
  const [created, setCreated] = useState<{ key: string; apiKey: ApiKey } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  async function revoke(k: ApiKey) {
    const ok = await action.run(k.id, async () => {
      await api.apiKeys.revoke(k.id);
      return true;
    });
    if (!ok) return;
    const msg = `Key ${k.name} revoked.`;
    setNotice(msg);
    announce(msg);
    keys.reload();
  }

  const list = keys.data ?? [];
  return (
    <>
      <PageHeader title="API keys" />
      <p className="lede">
        Keys let scripts and services call the API (header <code>X-API-Key</code>). A key is shown once, when it is created.
      </p>
      <CreateKey
        isAdmin={isAdmin}
        onCreated={(r) => {
          setCreated(r);
          setCopied(false);
          setNotice(null);
          announce(`Key ${r.apiKey.name} created. Copy it now: it is shown only once.`);
          keys.reload();
        }}
      />
      {created ? (
        <section className="card secret" aria-labelledby="secret-title">
          <h2 id="secret-title">Your new key “{created.apiKey.name}”</h2>
          <p>Copy it now: it will not be shown again.</p>
          <div className="input-group">
            <label htmlFor="new-key" className="sr-only">
              New API key
            </label>
            <input id="new-key" className="mono" readOnly value={created.key} onFocus={(e) => e.currentTarget.select()} />
            <button
              type="button"
              className="btn btn-secondary"
              onClick={() => {
                void navigator.clipboard?.writeText(created.key).then(
                  () => {
                    setCopied(true);
                    announce('Key copied.');
                  },
                  () => announce('Copy failed: select the key and copy it.'),
                );
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button type="button" className="btn btn-ghost" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </section>
      ) : null}
      {notice ? <Notice tone="ok">{notice}</Notice> : null}
      <ErrorNotice error={action.error} title="The key could not be revoked" />
      <ErrorNotice error={keys.error} title="Could not load the keys" />
      {keys.loading && !keys.data ? <Loading /> : null}
      {keys.data && list.length === 0 ? <Empty>No API keys yet.</Empty> : null}
      {list.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col" className="hide-sm">
                  Scopes
                </th>
                <th scope="col" className="hide-md">
                  Created
                </th>
                <th scope="col" className="hide-md">
                  Last used
                </th>
                <th scope="col" className="hide-sm">
                  Expires
                </th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.id} className={k.revokedAt ? 'revoked' : undefined}>
                  <td>{k.name}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td className="hide-sm">
                    <span className="tags">
                      {k.scopes.map((s) => (
                        <Tag key={s}>{s}</Tag>
                      ))}
                    </span>
                  </td>
                  <td className="hide-md">{formatDate(k.createdAt)}</td>
                  <td className="hide-md">{formatDate(k.lastUsedAt)}</td>
                  <td className="hide-sm">{k.expiresAt ? formatDate(k.expiresAt) : 'never'}</td>
                  <td className="row-actions">
                    {k.revokedAt ? (
                      <Tag tone="bad">revoked</Tag>
                    ) : (
                      <ConfirmButton
                        label="Revoke"
                        confirmLabel="Yes, revoke"
                        onConfirm={() => void revoke(k)}
                        busy={action.busy === k.id}
                      />
                    )}
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

function CreateKey({ isAdmin, onCreated }: { isAdmin: boolean; onCreated: (r: { key: string; apiKey: ApiKey }) => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiScope[]>(['jobs:read', 'jobs:write']);
  const [expires, setExpires] = useState('');
  const action = useAction();
  const [scopeError, setScopeError] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (scopes.length === 0) {
      setScopeError(true);
      return;
    }
    setScopeError(false);
    const r = await action.run('create', () =>
      api.apiKeys.create({
        name: name.trim(),
        scopes,
        ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}),
      }),
    );
    if (!r) return;
    setName('');
    setExpires('');
    onCreated(r);
  }

  return (
    <details className="card create">
      <summary>New API key</summary>
      <form className="inline-form" onSubmit={submit}>
        <ErrorNotice error={action.error} title="The key was not created" />
        <div className="field">
          <label htmlFor="k-name">Name</label>
          <input
            id="k-name"
            type="text"
            required
            maxLength={200}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. nightly import"
          />
        </div>
        <fieldset className="field" aria-describedby={scopeError ? 'k-scope-error' : undefined}>
          <legend>Scopes</legend>
          {SCOPES.filter((s) => isAdmin || !s.adminOnly).map((s) => (
            <div className="field-check" key={s.scope}>
              <input
                id={`k-scope-${s.scope}`}
                type="checkbox"
                checked={scopes.includes(s.scope)}
                onChange={(e) => setScopes((cur) => (e.target.checked ? [...cur, s.scope] : cur.filter((x) => x !== s.scope)))}
              />
              <label htmlFor={`k-scope-${s.scope}`}>
                <code>{s.scope}</code> <span className="muted">{s.help}</span>
              </label>
            </div>
          ))}
          {scopeError ? (
            <p id="k-scope-error" className="field-error">
              Choose at least one scope.
            </p>
          ) : null}
        </fieldset>
        <div className="field">
          <label htmlFor="k-expires">
            Expires <span className="muted">(optional)</span>
          </label>
          <input id="k-expires" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={action.busy !== null}>
            {action.busy ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
    </details>
  );
}
