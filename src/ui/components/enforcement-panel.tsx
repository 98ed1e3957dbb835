/**
 * The "Penegakan" panel: whether the firewall follows the policy, what it holds per service, the last
 * boundary and how long its cut took, the connections cut, and why it does not run when it does not.
 */
import type { Enforcement } from '../api-types.js';
import { useApp } from '../app-context.js';
import { t } from '../i18n.js';
import { serviceLabel } from '../status-words.js';
import { formatDateTime, formatNumber, toMs } from '../time-format.js';

export function EnforcementPanel({ enforcement }: { enforcement: Enforcement }) {
  const { lang, timezone } = useApp();
  const e = enforcement;
  const when = (v: Enforcement['lastBoundary']) => (v === null ? t('enforce.none') : formatDateTime(toMs(v), timezone, lang));
  const services = Object.entries(e.addresses).sort((a, b) => b[1] - a[1]);
  return (
    <section class={e.running ? 'card' : 'card enforcement-down'} data-testid="enforcement" data-running={e.running ? 'true' : 'false'}>
      <h2>{t('enforce.title')}</h2>
      <dl class="facts">
        <dt>{t('enforce.backend')}</dt><dd data-testid="enforcement-backend">{e.backend}</dd>
        <dt>{t('enforce.state')}</dt>
        <dd data-testid="enforcement-state">{e.running ? t('enforce.running') : t('enforce.notRunning')}</dd>
        {e.lastError !== null && (<><dt>{t('enforce.lastError')}</dt><dd data-testid="enforcement-error"><code>{e.lastError}</code></dd></>)}
        <dt>{t('enforce.addresses')}</dt>
        <dd data-testid="enforcement-addresses">
          {services.length === 0 ? t('enforce.none') : services.map(([s, n]) => `${serviceLabel(s)}: ${formatNumber(n, lang)}`).join(', ')}
        </dd>
        <dt>{t('enforce.shared')}</dt><dd>{formatNumber(e.sharedAddresses, lang)}</dd>
        <dt>{t('enforce.lastBoundary')}</dt>
        <dd data-testid="enforcement-last-boundary">
          {when(e.lastBoundary)}{e.lastCutMs !== null && e.lastBoundary !== null ? ` (${t('enforce.cutMs', { ms: formatNumber(e.lastCutMs, lang) })})` : ''}
        </dd>
        <dt>{t('enforce.connectionsCut')}</dt><dd data-testid="enforcement-cut">{formatNumber(e.connectionsCut, lang)}</dd>
        <dt>{t('enforce.nextBoundary')}</dt><dd>{when(e.nextBoundary)}</dd>
      </dl>
    </section>
  );
}
