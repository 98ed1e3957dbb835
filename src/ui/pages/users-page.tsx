/** Users and roles, for admins: add, change role, reset password, disable or enable, delete. */
import { useState } from 'preact/hooks';
import { USERNAME_CHARS } from '../../store/account-rules.js';
import { api } from '../api.js';
import { ROLES, type Role, type UserRow } from '../api-types.js';
import { useApp } from '../app-context.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { DataTable } from '../components/data-table.js';
import { ErrorNote, errorText, Loading } from '../components/error-note.js';
import { PasswordDialog } from '../components/password-dialog.js';
import { t } from '../i18n.js';
import { MIN_PASSWORD_LENGTH, passwordProblem } from '../password-rule.js';
import { formatDateTime } from '../time-format.js';
import { useLoad } from '../use-load.js';

/** The question open over the page, if any. */
type Asking = { kind: 'password' | 'delete'; user: UserRow };

function AddUser(props: { onDone(message: { ok: boolean; text: string }): void }) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    const problem = passwordProblem(password);
    if (problem !== null) {
      props.onDone({ ok: false, text: t(problem) });
      return;
    }
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
        <input name="username" required pattern={USERNAME_CHARS} autocapitalize="none" spellcheck={false} autocomplete="off"
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
        <input name="password" type="password" required minLength={MIN_PASSWORD_LENGTH} autocomplete="new-password"
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
  const [asking, setAsking] = useState<Asking | null>(null);
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
  // The dialogs send the request themselves, so that a refusal is shown where the question was asked.
  const savePassword = async (u: UserRow, password: string) => {
    try {
      await api.patch(path(u), { password });
      setNote({ ok: true, text: t('users.passwordChanged', { user: u.username }) });
    } finally {
      loaded.reload();
    }
  };
  const remove = async (u: UserRow) => {
    try {
      await api.del(path(u));
      setNote({ ok: true, text: t('users.deleted', { user: u.username }) });
    } finally {
      loaded.reload();
    }
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
                    <button type="button" class="btn btn-small" onClick={() => setAsking({ kind: 'password', user: u })}
                      data-testid={`password-${u.username}`}>{t('users.resetPassword')}</button>
                    <button type="button" class="btn btn-small" onClick={() => void change(() => api.patch(path(u), { disabled: u.disabled !== true }))}>
                      {u.disabled === true ? t('users.enable') : t('users.disable')}
                    </button>
                    <button type="button" class="btn btn-small btn-danger" onClick={() => setAsking({ kind: 'delete', user: u })}
                      data-testid={`delete-${u.username}`}>{t('common.delete')}</button>
                  </div>
                ),
              },
            ]}
          />
        )}
      </section>
      {asking?.kind === 'password' && (
        <PasswordDialog username={asking.user.username} onSave={(password) => savePassword(asking.user, password)} onClose={() => setAsking(null)} />
      )}
      {asking?.kind === 'delete' && (
        <ConfirmDialog
          title={t('users.deleteConfirm', { user: asking.user.username })}
          description={t('users.deleteExplain')}
          confirmLabel={t('users.deleteYes')}
          danger
          onConfirm={() => remove(asking.user)}
          onClose={() => setAsking(null)}
          testId="delete-dialog"
        />
      )}
    </div>
  );
}
