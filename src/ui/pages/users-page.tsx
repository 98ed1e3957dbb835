/** Users and roles, for admins: add, change role, reset password, disable or enable, delete. */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ROLES, type Role, type UserRow } from '../api-types.js';
import { useApp } from '../app-context.js';
import { DataTable } from '../components/data-table.js';
import { ErrorNote, errorText, Loading } from '../components/error-note.js';
import { t } from '../i18n.js';
import { formatDateTime } from '../time-format.js';
import { useLoad } from '../use-load.js';

const MIN_PASSWORD = 8;

function AddUser(props: { onDone(message: { ok: boolean; text: string }): void }) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    try {
      await api.post('/api/users', { username: username.trim(), role, password });
      setUsername('');
      setPassword('');
      props.onDone({ ok: true, text: t('users.saved') });
    } catch (err) {
      props.onDone({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form-grid form-grid-3" onSubmit={submit} data-testid="user-form">
      <label class="field">
        <span>{t('users.username')}</span>
        <input name="username" required pattern="[a-z0-9._\-]{1,64}" autocapitalize="none" spellcheck={false} autocomplete="off"
          value={username} onInput={(e) => setUsername(e.currentTarget.value.toLowerCase())} />
      </label>
      <label class="field">
        <span>{t('users.role')}</span>
        <select name="role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}
        </select>
      </label>
      <label class="field">
        <span>{t('users.password')}</span>
        <input name="password" type="password" required minLength={MIN_PASSWORD} autocomplete="new-password"
          value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <small class="muted">{t('users.password.help')}</small>
      </label>
      <div class="actions field-wide">
        <button type="submit" class="btn btn-primary" disabled={busy}>{t('users.add')}</button>
      </div>
      <p class="muted field-wide">{t('users.roles.help')}</p>
    </form>
  );
}

export function UsersPage() {
  const { lang, timezone, session } = useApp();
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const loaded = useLoad((signal) => api.get<{ users: UserRow[] }>('/api/users', { signal }), []);

  const change = async (run: () => Promise<unknown>) => {
    try {
      await run();
      setNote({ ok: true, text: t('users.saved') });
    } catch (err) {
      setNote({ ok: false, text: errorText(err) });
    }
    loaded.reload();
  };
  const path = (u: UserRow) => `/api/users/${encodeURIComponent(u.username)}`;
  const resetPassword = (u: UserRow) => {
    const password = prompt(t('users.newPassword', { user: u.username }));
    if (password === null || password === '') return;
    if (password.length < MIN_PASSWORD) {
      setNote({ ok: false, text: t('users.password.help') });
      return;
    }
    void change(() => api.patch(path(u), { password }));
  };
  const remove = (u: UserRow) => {
    if (confirm(t('users.deleteConfirm', { user: u.username }))) void change(() => api.del(path(u)));
  };

  return (
    <div>
      <div class="page-head"><h1>{t('users.title')}</h1></div>
      {note !== null && <p class={`note ${note.ok ? 'note-ok' : 'note-error'}`} role="status" data-testid="users-message">{note.text}</p>}
      <section class="card">
        <h2>{t('users.add')}</h2>
        <AddUser onDone={(m) => { setNote(m); loaded.reload(); }} />
      </section>
      <section class="card">
        <h2>{t('users.title')}</h2>
        <ErrorNote error={loaded.error} onRetry={loaded.reload} />
        {loaded.data === null && loaded.error === null && <Loading />}
        {loaded.data !== null && (
          <DataTable
            testId="users"
            rows={loaded.data.users}
            rowKey={(u) => u.username}
            empty={t('common.none')}
            columns={[
              { label: t('users.username'), cell: (u) => <><strong>{u.username}</strong>{u.username === session?.user.username && <span class="muted"> {t('users.you')}</span>}</> },
              {
                label: t('users.role'),
                cell: (u) => (
                  <select aria-label={`${t('users.role')} ${u.username}`} value={u.role}
                    onChange={(e) => void change(() => api.patch(path(u), { role: e.currentTarget.value }))}>
                    {ROLES.map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}
                  </select>
                ),
              },
              { label: t('users.state'), cell: (u) => <span class={`pill ${u.disabled === true ? 'pill-off' : 'pill-allow'}`}>{u.disabled === true ? t('users.disabled') : t('users.enabled')}</span> },
              { label: t('users.changed'), cell: (u) => u.updatedAt != null ? formatDateTime(u.updatedAt, timezone, lang) : '—' },
              {
                label: t('users.actions'),
                class: 'actions-cell',
                cell: (u) => (
                  <div class="row-actions">
                    <button type="button" class="btn btn-small" onClick={() => resetPassword(u)}>{t('users.resetPassword')}</button>
                    <button type="button" class="btn btn-small" onClick={() => void change(() => api.patch(path(u), { disabled: u.disabled !== true }))}>
                      {u.disabled === true ? t('users.enable') : t('users.disable')}
                    </button>
                    <button type="button" class="btn btn-small btn-danger" onClick={() => remove(u)}>{t('common.delete')}</button>
                  </div>
                ),
              },
            ]}
          />
        )}
      </section>
    </div>
  );
}
