import { t } from '../i18n.js';

export interface PagerProps {
  /** Cursors of the pages visited so far; the last one is the page shown (`undefined`: the first). */
  cursors: readonly (string | undefined)[];
  setCursors: (cursors: (string | undefined)[]) => void;
  /** The shown page's cursor to the next one, or null on the last page or while nothing is loaded. */
  nextCursor: string | null;
  /** Disable "next" while a page loads. */
  busy?: boolean;
  testId?: string;
}

/** First / previous / page number / next, over keyset cursors. */
export function Pager({ cursors, setCursors, nextCursor, busy = false, testId }: PagerProps) {
  return (
    <div class="pager">
      <button type="button" class="btn btn-small" disabled={cursors.length <= 1} onClick={() => setCursors([undefined])}>{t('queries.first')}</button>
      <button type="button" class="btn btn-small" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>{t('queries.prev')}</button>
      <span class="muted">{t('queries.page', { n: cursors.length })}</span>
      <button type="button" class="btn btn-small btn-primary" data-testid={testId}
        disabled={nextCursor === null || busy}
        onClick={() => nextCursor !== null && setCursors([...cursors, nextCursor])}>
        {t('queries.next')}
      </button>
    </div>
  );
}
