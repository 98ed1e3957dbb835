/**
 * The console shell: finds out who is logged in and the policy's time zone, then shows the page the
 * route names, or the login form when that page needs a session.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, setCsrfToken, setUnauthorizedHandler, ApiError } from './api.js';
import type { Session, Status } from './api-types.js';
import { AppContext, hasRole, type AppState } from './app-context.js';
import { NavBar } from './components/nav-bar.js';
import { getLang, setLang, t, type Lang } from './i18n.js';
import { navigate, useRoute, type Route } from './router.js';
import { AuditPage } from './pages/audit-page.js';
import { ExemptionsPage } from './pages/exemptions-page.js';
import { LoginPage } from './pages/login-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { PolicyPage } from './pages/policy-page.js';
import { QueriesPage } from './pages/queries-page.js';
import { StatusPage } from './pages/status-page.js';
import { TrafficPage } from './pages/traffic-page.js';
import { UsersPage } from './pages/users-page.js';

const PUBLIC: readonly Route[] = ['status', 'login'];

const TITLES: Record<Route, Parameters<typeof t>[0]> = {
  status: 'nav.status', login: 'nav.login', overview: 'nav.overview', policy: 'nav.policy',
  exemptions: 'nav.exemptions', queries: 'nav.queries', traffic: 'nav.traffic', audit: 'nav.audit', users: 'nav.users',
};

export function App() {
  const [lang, setLangState] = useState<Lang>(getLang());
  const [session, setSessionState] = useState<Session | null>(null);
  const [checked, setChecked] = useState(false);
  const [timezone, setTimezone] = useState('Asia/Jakarta');
  const [flash, setFlash] = useState<string | null>(null);
  const requested = useRoute();

  const setSession = useCallback((next: Session | null) => {
    setCsrfToken(next?.csrfToken ?? null);
    setSessionState(next);
  }, []);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  useEffect(() => {
    api.get<Session>('/api/session', { quiet401: true })
      .then((s) => setSession(s), () => setSession(null))
      .finally(() => setChecked(true));
    api.get<Status>('/api/status').then((s) => setTimezone(s.timezone), () => undefined);
  }, [setSession]);

  useEffect(() => {
    // A request that finds the session gone (expired, logged out elsewhere) falls back to the login form.
    setUnauthorizedHandler(() => setSession(null));
    return () => setUnauthorizedHandler(null);
  }, [setSession]);

  const route: Route = requested ?? (session !== null ? 'overview' : 'status');
  const needsLogin = !PUBLIC.includes(route) && session === null;

  useEffect(() => {
    if (route === 'login' && session !== null) navigate('overview');
  }, [route, session]);

  useEffect(() => {
    const title = needsLogin ? t('nav.login') : t(TITLES[route]);
    document.title = `${title} · rambu`;
  }, [route, needsLogin, lang]);

  useEffect(() => {
    if (route !== 'login') setFlash(null);
  }, [route]);

  const state = useMemo<AppState>(() => ({ session, timezone, lang, setSession }), [session, timezone, lang, setSession]);

  const switchLang = () => {
    const next: Lang = lang === 'id' ? 'en' : 'id';
    setLang(next);
    setLangState(next);
  };

  const logout = () => {
    api.del('/api/session').catch((err: unknown) => {
      if (!(err instanceof ApiError)) throw err;
    }).finally(() => {
      setSession(null);
      setFlash(t('login.loggedOut'));
      navigate('login');
    });
  };

  let page;
  if (!checked && !PUBLIC.includes(route)) page = <p class="muted">{t('common.loading')}</p>;
  else if (route === 'status') page = <StatusPage />;
  else if (route === 'login' || needsLogin) page = <LoginPage flash={flash} />;
  else if (route === 'overview') page = <OverviewPage />;
  else if (route === 'policy') page = <PolicyPage />;
  else if (route === 'exemptions') page = <ExemptionsPage />;
  else if (route === 'queries') page = <QueriesPage />;
  else if (route === 'traffic') page = <TrafficPage />;
  else if (route === 'audit') page = <AuditPage />;
  else if (hasRole(session, 'admin')) page = <UsersPage />;
  else page = <div class="note note-error" role="alert">{t('error.forbidden')}</div>;

  return (
    <AppContext.Provider value={state}>
      <NavBar route={needsLogin ? 'login' : route} onLang={switchLang} onLogout={logout} />
      <main class={`page page-${needsLogin ? 'login' : route}`}>
        {page}
      </main>
    </AppContext.Provider>
  );
}
