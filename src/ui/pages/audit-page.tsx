/** The audit log: who changed what and when, with a before/after diff of each change. */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { AuditEntry, Page } from '../api-types.js';
import { useApp } from '../app-context.js';
import { DiffView } from '../components/diff-view.js';
import { Pager } from '../components/pager.js';
import { ErrorNote, Loading } from '../components/error-note.js';
import { isMessageKey, t } from '../i18n.js';
import { formatDateTime } from '../time-format.js';
import { useLoad } from '../use-load.js';

function AuditItem(props: { entry: AuditEntry }) {
  const { lang, timezone } = useApp();
  const e = props.entry;
  const [open, setOpen] = useState(e.action !== 'policy.update');
  const key = `audit.${e.action}`;
  const words = isMessageKey(key) ? t(key) : e.action;
  return (
    <li class="audit-item" data-testid="audit-item" data-action={e.action}>
      <div class="audit-head">
        <span class="audit-when">{formatDateTime(e.time, timezone, lang)}</span>
        <span class="audit-what">
          <strong>{e.user ?? t('audit.system')}</strong> {words}
          {e.target != null && e.target !== '' && <> <code>{e.target}</code></>}
          <span class="muted"> · {e.action}</span>
        </span>
        {e.redacted !== true && (
          <button type="button" class="btn btn-small btn-ghost" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? t('audit.hide') : t('audit.show')}
          </button>
        )}
      </div>
      {e.redacted === true
        ? <p class="muted" data-testid="audit-redacted">{t('audit.redacted')}</p>
        : open && <DiffView before={e.before} after={e.after} />}
    </li>
  );
}

export function AuditPage() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const loaded = useLoad((signal) => api.get<Page<AuditEntry>>('/api/audit', { signal, query: { limit: 30, cursor } }), [cursor]);
  const page = loaded.data;
  return (
    <div>
      <div class="page-head"><h1>{t('audit.title')}</h1></div>
      <section class="card">
        <ErrorNote error={loaded.error} onRetry={loaded.reload} />
        {page === null && loaded.error === null && <Loading />}
        {page !== null && page.items.length === 0 && <p class="muted">{t('audit.empty')}</p>}
        {page !== null && page.items.length > 0 && (
          <ul class="audit-list" data-testid="audit-list">
            {page.items.map((e, i) => <AuditItem key={String(e.id ?? i)} entry={e} />)}
          </ul>
        )}
        <Pager cursors={cursors} setCursors={setCursors} nextCursor={page?.nextCursor ?? null} />
      </section>
    </div>
  );
}
