/** Before and after of an audited change, as a folded line diff. */
import { t } from '../i18n.js';
import { diffLines, foldContext, valueLines } from '../line-diff.js';

export function DiffView(props: { before: unknown; after: unknown }) {
  const before = valueLines(props.before);
  const after = valueLines(props.after);
  const hunks = foldContext(diffLines(before, after));
  return (
    <div class="diff" data-testid="diff">
      <div class="diff-legend">
        <span class="diff-del">− {t('audit.before')}{before.length === 0 ? ` ${t('audit.nothing')}` : ''}</span>
        <span class="diff-add">+ {t('audit.after')}{after.length === 0 ? ` ${t('audit.nothing')}` : ''}</span>
      </div>
      <pre>
        {hunks.map((h, i) => h.kind === 'fold'
          ? <span key={i} class="diff-fold">⋯ {h.count} ⋯{'\n'}</span>
          : <span key={i} class={`diff-${h.kind}`}>{h.kind === 'add' ? '+ ' : h.kind === 'del' ? '− ' : '  '}{h.text}{'\n'}</span>)}
      </pre>
    </div>
  );
}
