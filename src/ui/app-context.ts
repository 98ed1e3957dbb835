/** What every page needs from the shell: who is logged in, the policy's time zone, the language. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Role, Session } from './api-types.js';
import type { Lang } from './i18n.js';

export interface AppState {
  session: Session | null;
  /** The policy's IANA time zone, from `GET /api/status`. */
  timezone: string;
  lang: Lang;
  /** Replace the session (after login, logout or a 401). */
  setSession(session: Session | null): void;
}

export const AppContext = createContext<AppState>({
  session: null,
  timezone: 'Asia/Jakarta',
  lang: 'id',
  setSession: () => undefined,
});

export function useApp(): AppState {
  return useContext(AppContext);
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether the logged-in user holds `role` or a stronger one. */
export function hasRole(session: Session | null, role: Role): boolean {
  if (session === null) return false;
  return (RANK[session.user.role] ?? -1) >= RANK[role];
}
