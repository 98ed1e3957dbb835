/**
 * Exemptions: time-limited, audited permissions for groups or single clients. Operators and admins
 * create and revoke them here; everyone logged in sees the active and the past ones.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import type { Exemption, PolicyView } from '../api-types.js';
import { hasRole, useApp } from '../app-context.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { DataTable, type Column } from '../components/data-table.js';
import { ErrorNote, errorText, Loading } from '../components/error-note.js';
import { joinList, t } from '../i18n.js';
import { serviceLabel } from '../status-words.js';
import { formatDateTime, fromLocalInput, fromZoned, toLocalInput, toMs, toZonedIso, zonedParts, zoneName } from '../time-format.js';
import { useLoad } from '../use-load.js';

interface Data { exemptions: Exemption[]; policy: PolicyView }

const HOUR = 3_600_000;

/** Whether the server asks for an admin's confirmation that the exemption covers every client. */
function needsAllClientsConfirmation(err: unknown): boolean {
  if (!(err instanceof ApiError) || err.code !== 'VALIDATION_FAILED') return false;
  const details = err.detail['details'];
  return Array.isArray(details) && details.some((d) => typeof d === 'object' && d !== null && (d as { path?: unknown }).path === 'confirmAllClients');
}

function isCurrent(e: Exemption, now: number): boolean {
  if (e.status !== undefined) return e.status === 'active' || e.status === 'pending';
  return e.revokedAt == null && toMs(e.until) > now;
}

function ExemptionForm(props: { policy: PolicyView; onCreated(): void }) {
  const { timezone } = useApp();
  const tz = props.policy.timezone || timezone;
  // The services worth exempting are the ones some rule blocks; the rest stay reachable by name.
  const blocked = [...new Set(props.policy.rules.filter((r) => r.action === 'block').flatMap((r) => r.services))];
  const [groups, setGroups] = useState<string[]>([]);
  const [clients, setClients] = useState('');
  const [allow, setAllow] = useState<string[]>([]);
  const [other, setOther] = useState('');
  const [until, setUntil] = useState(() => toLocalInput(Date.now() + 2 * HOUR, tz));
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  // A body the server refused until an admin confirms it covers every client.
  const [confirming, setConfirming] = useState<Record<string, unknown> | null>(null);

  const created = () => {
    setMessage({ ok: true, text: t('exemptions.created') });
    setGroups([]);
    setClients('');
    setAllow([]);
    setOther('');
    setReason('');
    props.onCreated();
  };

  const toggle = (list: string[], value: string, on: boolean) => on ? [...list, value] : list.filter((v) => v !== value);
  const setPreset = (kind: 'hour' | 'end' | 'tomorrow') => {
    const now = Date.now();
    if (kind === 'hour') setUntil(toLocalInput(now + HOUR, tz));
    else if (kind === 'tomorrow') setUntil(toLocalInput(now + 24 * HOUR, tz));
    else {
      const p = zonedParts(now, tz);
      setUntil(toLocalInput(fromZoned({ year: p.year, month: p.month, day: p.day, hour: 16, minute: 0 }, tz), tz));
    }
  };

  const submit = async (ev: Event) => {
    ev.preventDefault();
    const clientList = clients.split(/[\s,;]+/).map((c) => c.trim()).filter((c) => c !== '');
    const allowList = [...new Set([...allow, ...other.split(/[\s,;]+/).map((s) => s.trim().toLowerCase()).filter((s) => s !== '')])];
    const untilAt = fromLocalInput(until, tz);
    let problem: string | null = null;
    if (groups.length === 0 && clientList.length === 0) problem = t('exemptions.need.target');
    else if (allowList.length === 0) problem = t('exemptions.need.allow');
    else if (!Number.isFinite(untilAt) || untilAt <= Date.now()) problem = t('exemptions.need.until');
    else if (reason.trim() === '') problem = t('exemptions.need.reason');
    if (problem !== null) {
      setMessage({ ok: false, text: problem });
      return;
    }
    setBusy(true);
    setMessage(null);
    const body: Record<string, unknown> = { allow: allowList, until: toZonedIso(untilAt, tz), reason: reason.trim() };
    if (groups.length > 0) body['groups'] = groups;
    if (clientList.length > 0) body['clients'] = clientList;
    try {
      await api.post('/api/exemptions', body);
      created();
    } catch (err) {
      if (needsAllClientsConfirmation(err)) setConfirming(body);
      else setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form-grid" onSubmit={submit} data-testid="exemption-form">
      <fieldset>
        <legend>{t('exemptions.target.groups')}</legend>
        <div class="checks">
          {props.policy.groups.map((g) => (
            <label key={g.name} class="check">
              <input type="checkbox" name="group" value={g.name} checked={groups.includes(g.name)}
                onChange={(e) => setGroups(toggle(groups, g.name, e.currentTarget.checked))} />
              {g.name}
            </label>
          ))}
        </div>
      </fieldset>
      <label class="field">
        <span>{t('exemptions.target.clients')}</span>
        <input name="clients" placeholder={t('exemptions.clients.placeholder')} value={clients} autocapitalize="none" spellcheck={false}
          onInput={(e) => setClients(e.currentTarget.value)} />
        <small class="muted">{t('exemptions.clients.help')}</small>
      </label>
      <fieldset>
        <legend>{t('exemptions.allow')}</legend>
        <div class="checks">
          {blocked.map((s) => (
            <label key={s} class="check">
              <input type="checkbox" name="allow" value={s} checked={allow.includes(s)}
                onChange={(e) => setAllow(toggle(allow, s, e.currentTarget.checked))} />
              {serviceLabel(s)}
            </label>
          ))}
        </div>
        <input name="allowOther" list="service-names" placeholder={props.policy.services.slice(0, 3).map((s) => s.name).join(', ')}
          aria-label={t('exemptions.allow')} value={other} onInput={(e) => setOther(e.currentTarget.value)} />
        <datalist id="service-names">
          {props.policy.services.map((s) => <option key={s.name} value={s.name} />)}
        </datalist>
      </fieldset>
      <div class="field">
        <label for="exemption-until">{t('exemptions.until', { tz: zoneName(tz) })}</label>
        <input id="exemption-until" name="until" type="datetime-local" required value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
        <div class="presets">
          <button type="button" class="btn btn-small" onClick={() => setPreset('hour')}>{t('exemptions.until.plus1h')}</button>
          <button type="button" class="btn btn-small" onClick={() => setPreset('end')}>{t('exemptions.until.endOfDay')}</button>
          <button type="button" class="btn btn-small" onClick={() => setPreset('tomorrow')}>{t('exemptions.until.tomorrow')}</button>
        </div>
      </div>
      <label class="field field-wide">
        <span>{t('exemptions.reason')}</span>
        <input name="reason" maxLength={500} placeholder={t('exemptions.reason.placeholder')} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      {message !== null && <p class={`note field-wide ${message.ok ? 'note-ok' : 'note-error'}`} role={message.ok ? 'status' : 'alert'} data-testid="exemption-message">{message.text}</p>}
      <div class="actions field-wide">
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="exemption-create">
          {busy ? t('exemptions.creating') : t('exemptions.create')}
        </button>
      </div>
      {confirming !== null && (
        <ConfirmDialog
          title={t('exemptions.allClients.title')}
          description={t('exemptions.allClients.explain', { services: joinList((confirming['allow'] as string[]).map(serviceLabel)) })}
          confirmLabel={t('exemptions.allClients.yes')}
          danger
          onConfirm={async () => { await api.post('/api/exemptions', { ...confirming, confirmAllClients: true }); created(); }}
          onClose={() => setConfirming(null)}
          testId="all-clients-dialog"
        />
      )}
    </form>
  );
}

export function ExemptionsPage() {
  const { lang, session } = useApp();
  const canManage = hasRole(session, 'operator');
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const [revoking, setRevoking] = useState<Exemption | null>(null);
  const loaded = useLoad(async (signal): Promise<Data> => {
    const [list, policy] = await Promise.all([
      api.get<{ exemptions: Exemption[] }>('/api/exemptions', { signal, query: { status: 'all' } }),
      api.get<PolicyView>('/api/policy', { signal }),
    ]);
    return { exemptions: list.exemptions, policy };
  }, []);

  if (loaded.data === null) {
    return loaded.error !== null ? <ErrorNote error={loaded.error} onRetry={loaded.reload} /> : <Loading />;
  }
  const { policy } = loaded.data;
  const tz = policy.timezone;
  const now = Date.now();
  const fromConfig = (policy.exemptions ?? []).filter((e) => e.source === 'config');
  const all = [...fromConfig, ...loaded.data.exemptions];
  const current = all.filter((e) => isCurrent(e, now));
  const past = all.filter((e) => !isCurrent(e, now));

  // Called by the dialog, which shows a refusal (revoked meanwhile by someone else, say) itself.
  const revoke = async (e: Exemption) => {
    try {
      await api.del(`/api/exemptions/${encodeURIComponent(String(e.id))}`);
      setNote({ ok: true, text: t('exemptions.revoked') });
    } finally {
      loaded.reload();
    }
  };

  const stateOf = (e: Exemption): string => {
    if (e.revokedAt != null) return t('exemptions.state.revoked', { when: formatDateTime(e.revokedAt, tz, lang) });
    if (e.status === 'pending' || (e.from != null && toMs(e.from) > now)) return t('exemptions.state.scheduled');
    if (e.status === 'expired' || toMs(e.until) <= now) return t('exemptions.state.expired');
    return t('exemptions.state.active');
  };

  const columns = (withRevoke: boolean): Column<Exemption>[] => [
    { label: t('policy.rule.name'), cell: (e) => <strong>{e.name ?? `#${String(e.id)}`}</strong> },
    {
      label: t('exemptions.col.who'),
      cell: (e) => <span class="chips">{[...(e.groups ?? []), ...(e.clients ?? [])].map((x) => <span key={x} class="nowrap">{x}</span>)}</span>,
    },
    { label: t('exemptions.col.allow'), cell: (e) => e.allow.map(serviceLabel).join(', ') },
    { label: t('exemptions.col.until'), cell: (e) => formatDateTime(e.until, tz, lang) },
    { label: t('exemptions.col.reason'), cell: (e) => e.reason },
    { label: t('exemptions.col.by'), cell: (e) => e.source === 'config' ? <span class="muted">{t('exemptions.fromConfig')}</span> : (e.createdBy ?? '—') },
    { label: t('exemptions.col.state'), cell: (e) => stateOf(e) },
    ...(withRevoke ? [{
      label: '',
      class: 'actions-cell',
      cell: (e: Exemption) => e.source !== 'config' && e.id != null
        ? <button type="button" class="btn btn-small btn-danger" onClick={() => setRevoking(e)} data-testid={`revoke-${String(e.id)}`}>{t('exemptions.revoke')}</button>
        : null,
    }] : []),
  ];

  return (
    <div>
      <div class="page-head"><h1>{t('exemptions.title')}</h1></div>
      {note !== null && <p class={`note ${note.ok ? 'note-ok' : 'note-error'}`} role="status">{note.text}</p>}
      {canManage
        ? (
          <section class="card">
            <h2>{t('exemptions.new')}</h2>
            <ExemptionForm policy={policy} onCreated={loaded.reload} />
          </section>
        )
        : <p class="note">{t('common.readonly')}</p>}
      <section class="card">
        <h2>{t('exemptions.active')} ({current.length})</h2>
        <DataTable testId="exemptions-active" rows={current} rowKey={(e, i) => `${e.source ?? ''}-${String(e.id ?? e.name ?? i)}`}
          empty={t('exemptions.noActive')} columns={columns(canManage)} />
      </section>
      <section class="card">
        <h2>{t('exemptions.past')} ({past.length})</h2>
        <DataTable testId="exemptions-past" rows={past} rowKey={(e, i) => `${e.source ?? ''}-${String(e.id ?? e.name ?? i)}`}
          empty={t('exemptions.noPast')} columns={columns(false)} />
      </section>
      {revoking !== null && (
        <ConfirmDialog
          title={t('exemptions.revokeConfirm', { name: revoking.name ?? String(revoking.id) })}
          description={t('exemptions.revokeExplain', {
            services: joinList(revoking.allow.map(serviceLabel)),
            who: joinList([...(revoking.groups ?? []), ...(revoking.clients ?? [])]),
          })}
          confirmLabel={t('exemptions.revokeYes')}
          danger
          onConfirm={() => revoke(revoking)}
          onClose={() => setRevoking(null)}
          testId="revoke-dialog"
        />
      )}
    </div>
  );
}
