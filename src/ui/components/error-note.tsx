/** An API failure in words a user can act on. */
import { ApiError } from '../api.js';
import { t } from '../i18n.js';

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('error.network');
    if (err.status === 403 && /csrf/i.test(err.code)) return t('error.csrf');
    if (err.status === 403) return `${t('error.forbidden')} (${err.message})`;
    return t('common.error', { message: err.message });
  }
  return t('common.error', { message: err instanceof Error ? err.message : String(err) });
}

export function ErrorNote(props: { error: unknown; onRetry?: () => void }) {
  if (props.error === null || props.error === undefined) return null;
  return (
    <div class="note note-error" role="alert">
      <span>{errorText(props.error)}</span>
      {props.onRetry !== undefined && <button type="button" class="btn btn-small" onClick={props.onRetry}>{t('common.retry')}</button>}
    </div>
  );
}

export function Loading() {
  return <p class="muted" aria-live="polite">{t('common.loading')}</p>;
}
