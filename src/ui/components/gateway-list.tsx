/**
 * The gateways that share this console's store: name, console address, version, last check-in,
 * queries a second and how far its query log is behind the shared one. Shown on the overview; a
 * console whose server has no gateway list (an older one) shows nothing.
 */
import { api } from '../api.js';
import type { GatewaysResponse } from '../api-types.js';
import { useApp } from '../app-context.js';
import { t } from '../i18n.js';
import { formatNumber, formatShort, toMs } from '../time-format.js';
import { useLoad } from '../use-load.js';
import { DataTable } from './data-table.js';

/** A gateway silent for this long (three missed check-ins) is shown as unreachable. */
const STALE_MS = 30_000;

export function GatewayList() {
  const { lang, timezone } = useApp();
  const loaded = useLoad((signal) => api.get<GatewaysResponse>('/api/gateways', { signal }).catch(() => null), [], 15_000);
  const data = loaded.data;
  if (data === null || data === undefined) return null;
  const now = Date.now();
  return (
    <section class="card" data-testid="gateways">
      <h2>{t('gateways.title')}</h2>
      <DataTable
        testId="gateway-table"
        rows={data.gateways}
        rowKey={(g) => g.name}
        empty={t('overview.noData')}
        columns={[
          { label: t('gateways.name'), cell: (g) => <span>{g.name}{g.self ? ` ${t('gateways.this')}` : ''}</span> },
          { label: t('gateways.address'), cell: (g) => <code>{g.address}</code> },
          { label: t('gateways.version'), cell: (g) => g.version },
          {
            label: t('gateways.lastSeen'),
            cell: (g) => {
              const seen = toMs(g.lastSeen);
              const stale = now - seen > STALE_MS;
              return <span class={stale ? 'stat-block' : ''}>{formatShort(seen, timezone, lang, now)}{stale ? ` (${t('gateways.silent')})` : ''}</span>;
            },
          },
          { label: t('gateways.qps'), cell: (g) => formatNumber(g.queriesPerSecond, lang), class: 'num' },
          { label: t('gateways.lag'), cell: (g) => g.storeLagSeconds === null ? '—' : `${formatNumber(g.storeLagSeconds, lang)} ${t('gateways.seconds')}`, class: 'num' },
        ]}
      />
    </section>
  );
}
