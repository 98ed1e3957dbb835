/**
 * The query log: newest first, filtered by client, name, service, action and time (and by gateway
 * when more than one shares the store), one page at a time with the server's cursor ("Berikutnya");
 * earlier pages are kept so "Sebelumnya" is instant.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { GatewaysResponse, Page, QueryEntry } from '../api-types.js';
import { useApp } from '../app-context.js';
import { DataTable } from '../components/data-table.js';
import { Pager } from '../components/pager.js';
import { ErrorNote, Loading } from '../components/error-note.js';
import { t } from '../i18n.js';
import { serviceLabel } from '../status-words.js';
import { formatShort, fromLocalInput, toZonedIso, zoneName } from '../time-format.js';
import { useLoad } from '../use-load.js';

interface Filters { gateway: string; client: string; name: string; service: string; action: string; since: string; until: string }

const EMPTY: Filters = { gateway: '', client: '', name: '', service: '', action: '', since: '', until: '' };
const ACTIONS = ['block', 'monitor', 'allow', 'refused', 'ratelimited', 'error'] as const;
const PAGE_SIZE = 50;

export function QueriesPage() {
  const { lang, timezone } = useApp();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  /** Cursors of the pages visited: cursors[0] is the first page (no cursor). */
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];

  const loaded = useLoad((signal) => {
    const instant = (v: string) => {
      const at = fromLocalInput(v, timezone);
      return Number.isFinite(at) ? toZonedIso(at, timezone) : undefined;
    };
    return api.get<Page<QueryEntry>>('/api/queries', {
      signal,
      query: {
        gateway: filters.gateway, client: filters.client.trim(), name: filters.name.trim(), service: filters.service.trim(), action: filters.action,
        since: instant(filters.since), until: instant(filters.until), limit: PAGE_SIZE, cursor,
      },
    });
  }, [filters, cursor, timezone]);
  // The gateways on the store, for the gateway filter: shown only when there is a choice to make
  // (more than one); a server without the list (an older one) shows no filter.
  const gateways = useLoad((signal) => api.get<GatewaysResponse>('/api/gateways', { signal }).catch(() => null), []);
  const gatewayNames = (gateways.data?.gateways ?? []).map((g) => g.name);

  const apply = (ev: Event) => {
    ev.preventDefault();
    setFilters({ ...draft });
    setCursors([undefined]);
  };
  const clear = () => {
    setDraft(EMPTY);
    setFilters(EMPTY);
    setCursors([undefined]);
  };
  const field = (key: keyof Filters) => ({
    value: draft[key],
    onInput: (e: Event) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement).value }),
  });
  const actionLabel = (a: string) => a === 'block' ? t('queries.blocked') : a === 'allow' ? t('queries.allowed') : a === 'monitor' ? t('queries.wouldBlock') : a;
  const page = loaded.data;

  return (
    <div>
      <div class="page-head"><h1>{t('queries.title')}</h1></div>
      <form class="card filters" onSubmit={apply} data-testid="query-filters">
        {gatewayNames.length > 1 && (
          <label class="field">
            <span>{t('gateways.gateway')}</span>
            <select name="gateway" value={draft.gateway} onChange={(e) => setDraft({ ...draft, gateway: e.currentTarget.value })}>
              <option value="">{t('queries.allGateways')}</option>
              {gatewayNames.map((g) => <option key={g} value={g}>{g}</option>)}
            </select>
          </label>
        )}
        <label class="field"><span>{t('queries.client')}</span><input name="client" placeholder="10.20.5.17" autocapitalize="none" spellcheck={false} {...field('client')} /></label>
        <label class="field"><span>{t('queries.name')}</span><input name="name" placeholder="youtube.com" autocapitalize="none" spellcheck={false} {...field('name')} /></label>
        <label class="field"><span>{t('queries.service')}</span><input name="service" placeholder="youtube" autocapitalize="none" spellcheck={false} {...field('service')} /></label>
        <label class="field">
          <span>{t('queries.action')}</span>
          <select name="action" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.currentTarget.value })}>
            <option value="">{t('queries.any')}</option>
            {ACTIONS.map((a) => <option key={a} value={a}>{actionLabel(a)}</option>)}
          </select>
        </label>
        <label class="field"><span>{t('queries.from')} ({zoneName(timezone)})</span><input name="since" type="datetime-local" {...field('since')} /></label>
        <label class="field"><span>{t('queries.to')} ({zoneName(timezone)})</span><input name="until" type="datetime-local" {...field('until')} /></label>
        <div class="actions">
          <button type="submit" class="btn btn-primary">{t('queries.filter')}</button>
          <button type="button" class="btn" onClick={clear}>{t('queries.clear')}</button>
        </div>
      </form>

      <section class="card">
        <ErrorNote error={loaded.error} onRetry={loaded.reload} />
        {page === null && loaded.error === null && <Loading />}
        {page !== null && (
          <>
            <DataTable
              testId="query-table"
              rows={page.items}
              rowKey={(q, i) => String(q.id ?? `${String(q.time)}-${i}`)}
              empty={t('queries.empty')}
              columns={[
                // Which gateway answered, once the store has more than one (or the page holds more than one).
                ...(gatewayNames.length > 1 || new Set(page.items.map((q) => q.gateway)).size > 1 ? [{ label: t('gateways.gateway'), cell: (q: QueryEntry) => q.gateway ?? '' }] : []),
                { label: t('queries.time'), cell: (q) => <span class="nowrap">{formatShort(q.time, timezone, lang)}</span> },
                { label: t('queries.client'), cell: (q) => <code>{q.client}</code> },
                { label: t('queries.name'), cell: (q) => <span class="domain">{q.name}</span> },
                { label: t('queries.type'), cell: (q) => q.type ?? '' },
                { label: t('queries.action'), cell: (q) => <span class={`pill ${q.action === 'block' ? 'pill-block' : q.action === 'allow' ? 'pill-allow' : q.action === 'monitor' ? 'pill-monitor' : 'pill-off'}`} data-action={q.action}>{actionLabel(q.action)}</span> },
                { label: t('queries.service'), cell: (q) => q.service != null ? serviceLabel(q.service) : '' },
                { label: t('queries.why'), cell: (q) => <span class="sample">{q.exemption ?? q.rule ?? ''}{q.rcode != null && q.action !== 'allow' ? ` (${String(q.rcode)})` : ''}</span> },
              ]}
            />
            {page.migrating === true && <p class="muted" data-testid="queries-migrating">{t('queries.migrating')}</p>}
            {page.partial === true && page.items.length < PAGE_SIZE && page.nextCursor !== null && (
              <p class="muted">{t('queries.partial')}</p>
            )}
          </>
        )}
        <Pager cursors={cursors} setCursors={setCursors} nextCursor={page?.nextCursor ?? null} busy={loaded.loading} testId="queries-next" />
      </section>
    </div>
  );
}
