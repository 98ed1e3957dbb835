/** Counts as labelled horizontal bars, longest first. */
import type { Count } from '../api-types.js';
import { formatNumber } from '../time-format.js';
import { useApp } from '../app-context.js';

export function BarList(props: { items: readonly Count[]; empty: string; label?(key: string): string; testId?: string; tone?: 'block' | 'neutral' }) {
  const { lang } = useApp();
  if (props.items.length === 0) return <p class="muted">{props.empty}</p>;
  const max = Math.max(1, ...props.items.map((i) => i.count));
  return (
    <ul class={`bars ${props.tone === 'neutral' ? 'bars-neutral' : ''}`} data-testid={props.testId}>
      {props.items.map((item) => (
        <li key={item.key}>
          <span class="bar-label" title={item.key}>{props.label ? props.label(item.key) : item.key}</span>
          <span class="bar-track" aria-hidden="true">
            {/* CSSOM style, which a strict CSP allows (unlike a style attribute in the HTML). */}
            <span class="bar-fill" style={{ width: `${Math.max(2, (item.count / max) * 100)}%` }} />
          </span>
          <span class="bar-value">{formatNumber(item.count, lang)}</span>
        </li>
      ))}
    </ul>
  );
}
