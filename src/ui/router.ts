/**
 * Hash routing (`#/policy`), so the server needs to serve only `/` and the bundle. A direct visit to
 * `/status` (a path the server may also answer with index.html) is read as `#/status`.
 */
import { useEffect, useState } from 'preact/hooks';

export const ROUTES = ['status', 'login', 'overview', 'policy', 'exemptions', 'queries', 'traffic', 'audit', 'users'] as const;
export type Route = (typeof ROUTES)[number];

function isRoute(value: string): value is Route {
  return (ROUTES as readonly string[]).includes(value);
}

/** The route in the address bar, or null when it names none. */
export function currentRoute(): Route | null {
  const fromHash = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  if (fromHash !== '') return isRoute(fromHash) ? fromHash : null;
  const fromPath = location.pathname.replace(/^\/+/, '').split('/')[0] ?? '';
  if (fromPath !== '' && isRoute(fromPath)) return fromPath;
  return null;
}

export function href(route: Route): string {
  return `#/${route}`;
}

export function navigate(route: Route): void {
  if (currentRoute() === route && location.hash !== '') return;
  location.hash = `/${route}`;
}

/** The current route, re-rendering on every change. */
export function useRoute(): Route | null {
  const [route, setRoute] = useState<Route | null>(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('hashchange', update);
    window.addEventListener('popstate', update);
    return () => {
      window.removeEventListener('hashchange', update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}
