import { useState, type FormEvent } from 'react';
import type { Role, User } from '@jobfleet/client';
import { api, useUser } from '../session.tsx';
import { useAction, usePoll, useTitle } from '../hooks.tsx';
import { formatDate } from '../format.ts';
import { announce, Empty, ErrorNotice, Loading, Notice, PageHeader, Tag } from '../ui.tsx';

export function Users() {
  useTitle('Users');
  const me = useUser().user;
  const users = usePoll(() => api.users.list(), null, []);
  const action = useAction();
  const [notice, setNotice] = useState<string | null>(null);

  async function toggle(u: User) {
    const r = await action.run(u.id, () => (u.disabled ? api.users.enable(u.id) : api.users.disable(u.id)));
    if (!r) return;
    const msg = `${u.email} ${u.disabled ? 'enabled' : 'disabled'}.`;
    setNotice(msg);
    announce(msg);
    users.reload();
  }

  const list = users.data ?? [];
  return (
    <>
      <PageHeader title="Users" />
      <CreateUser
        onCreated={(u) => {
          const msg = `User ${u.email} created.`;
          setNotice(msg);
          announce(msg);
          users.reload();
        }}
      />
      {notice ? <Notice tone="ok">{notice}</Notice> : null}
      <ErrorNotice error={action.error} title="The user could not be changed" />
      <ErrorNotice error={users.error} title="Could not load the users" />
      {users.loading && !users.data ? <Loading /> : null}
      {users.data && list.length === 0 ? <Empty>No users.</Empty> : null}
      {list.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Users</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col" className="hide-sm">
                  Name
                </th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col" className="hide-sm">
                  Last sign-in
                </th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((u) => (
                <tr key={u.id}>
                  <td>{u.email}</td>
                  <td className="hide-sm">{u.name ?? '—'}</td>
                  <td>
                    <Tag tone={u.role === 'admin' ? 'info' : 'neutral'}>{u.role}</Tag>
                  </td>
                  <td>{u.disabled ? <Tag tone="bad">disabled</Tag> : <Tag tone="ok">active</Tag>}</td>
                  <td className="hide-sm">{formatDate(u.lastLoginAt)}</td>
                  <td className="row-actions">
                    {u.id === me.id ? (
                      <span className="muted small">you</span>
                    ) : (
                      <button
                        type="button"
                        className={`btn ${u.disabled ? 'btn-secondary' : 'btn-danger'}`}
                        onClick={() => void toggle(u)}
                        disabled={action.busy === u.id}
                        aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.email}`}
                      >
                        {u.disabled ? 'Enable' : 'Disable'}
                      </button>
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

function CreateUser({ onCreated }: { onCreated: (u: User) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('member');
  const action = useAction();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const u = await action.run('create', () =>
      api.users.create({ email: email.trim(), password, role, ...(name.trim() ? { name: name.trim() } : {}) }),
    );
    if (!u) return;
    setEmail('');
    setName('');
    setPassword('');
    setRole('member');
    onCreated(u);
  }

  return (
    <details className="card create">
      <summary>New user</summary>
      <form className="inline-form" onSubmit={submit}>
        <ErrorNotice error={action.error} title="The user was not created" />
        <div className="field">
          <label htmlFor="u-email">Email</label>
          <input id="u-email" type="email" required autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="u-name">
            Name <span className="muted">(optional)</span>
          </label>
          <input id="u-name" type="text" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="u-password">Password</label>
          <input
            id="u-password"
            type="password"
            required
            minLength={8}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby="u-password-hint"
          />
          <p id="u-password-hint" className="hint">
            At least 8 characters.
          </p>
        </div>
        <div className="field">
          <label htmlFor="u-role">Role</label>
          <select id="u-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="member">member: their own jobs</option>
            <option value="admin">admin: everything</option>
          </select>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={action.busy !== null}>
            {action.busy ? 'Creating…' : 'Create user'}
          </button>
        </div>
      </form>
    </details>
  );
}
