/** The header: brand, page links for the user's role, the user, language switch and logout. */
import { useEffect, useState } from 'preact/hooks';
import { hasRole, useApp } from '../app-context.js';
import { t, type MessageKey } from '../i18n.js';
import { href, type Route } from '../router.js';

interface Link { route: Route; label: MessageKey; admin?: boolean }

const CONSOLE_LINKS: Link[] = [
  { route: 'overview', label: 'nav.overview' },
  { route: 'policy', label: 'nav.policy' },
  { route: 'exemptions', label: 'nav.exemptions' },
  { route: 'queries', label: 'nav.queries' },
  { route: 'traffic', label: 'nav.traffic' },
  { route: 'audit', label: 'nav.audit' },
  { route: 'users', label: 'nav.users', admin: true },
  { route: 'status', label: 'nav.status' },
];

export function NavBar(props: { route: Route; onLang(): void; onLogout(): void }) {
  const { session } = useApp();
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [props.route]);

  const links = session === null
    ? []
    : CONSOLE_LINKS.filter((l) => l.admin !== true || hasRole(session, 'admin'));

  return (
    <header class="topbar">
      <div class="topbar-inner">
        <a class="brand" href={session === null ? href('status') : href('overview')}>
          <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
            <circle cx="16" cy="16" r="15" />
            <rect x="7" y="13" width="18" height="6" rx="1" />
          </svg>
          <span class="brand-name">{t('app.name')}</span>
          <span class="brand-tagline">{t('app.tagline')}</span>
        </a>
        <div class="topbar-tools">
          <button type="button" class="btn btn-ghost btn-small" onClick={props.onLang} title={t('lang.switchTitle')} data-testid="lang-switch">
            {t('lang.switch')}
          </button>
          {session === null
            ? props.route !== 'login' && <a class="btn btn-small" href={href('login')} data-testid="nav-login">{t('nav.login')}</a>
            : (
              <button type="button" class="btn btn-ghost btn-small menu-toggle" aria-expanded={open} aria-controls="main-nav"
                onClick={() => setOpen(!open)}>
                {t('nav.menu')}
              </button>
            )}
        </div>
      </div>
      {session !== null && (
        <nav id="main-nav" class={`mainnav ${open ? 'open' : ''}`} aria-label={t('nav.menu')}>
          <ul>
            {links.map((l) => (
              <li key={l.route}>
                <a href={href(l.route)} class={l.route === props.route ? 'current' : undefined}
                  aria-current={l.route === props.route ? 'page' : undefined} data-testid={`nav-${l.route}`}>
                  {t(l.label)}
                </a>
              </li>
            ))}
          </ul>
          <div class="whoami">
            <span data-testid="whoami">{session.user.username} · {t(`role.${session.user.role}`)}</span>
            <button type="button" class="btn btn-ghost btn-small" onClick={props.onLogout} data-testid="logout">{t('nav.logout')}</button>
          </div>
        </nav>
      )}
    </header>
  );
}
