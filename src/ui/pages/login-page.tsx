/** The login form; on success the session (and its CSRF token) goes to the shell. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import type { Session } from '../api-types.js';
import { useApp } from '../app-context.js';
import { errorText } from '../components/error-note.js';
import { t } from '../i18n.js';
import { href } from '../router.js';

export function LoginPage(props: { flash: string | null }) {
  const { setSession } = useApp();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api.post<Session>('/api/session', { username: username.trim(), password }, { quiet401: true });
      setSession(session);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t('login.failed'));
      else if (err instanceof ApiError && err.status === 429) setError(t('login.throttled'));
      else setError(errorText(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="login-wrap">
      <form class="card login-card" onSubmit={submit} data-testid="login-form">
        <h1>{t('login.title')}</h1>
        {props.flash !== null && <p class="note note-ok" role="status">{props.flash}</p>}
        {error !== null && <p class="note note-error" role="alert" data-testid="login-error">{error}</p>}
        <label class="field">
          <span>{t('login.username')}</span>
          <input name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required
            value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t('login.password')}</span>
          <input name="password" type="password" autocomplete="current-password" required
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>{busy ? t('login.busy') : t('login.submit')}</button>
        <p class="login-back"><a href={href('status')}>{t('login.back')}</a></p>
      </form>
    </div>
  );
}
