/**
 * A table that becomes a stack of cards on narrow screens: each cell carries its column name in
 * `data-label`, which the stylesheet shows beside the value when the header row is hidden; the value
 * sits in one span so that it stays one piece beside the label.
 */
import type { ComponentChildren } from 'preact';

export interface Column<T> {
  label: string;
  cell(row: T): ComponentChildren;
  /** Extra class for the cell, e.g. `num` for right-aligned numbers. */
  class?: string;
}

export function DataTable<T>(props: { columns: Column<T>[]; rows: readonly T[]; rowKey(row: T, index: number): string; empty: string; testId?: string }) {
  if (props.rows.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <table class="data" data-testid={props.testId}>
      <thead>
        <tr>{props.columns.map((c) => <th scope="col" class={c.class}>{c.label}</th>)}</tr>
      </thead>
      <tbody>
        {props.rows.map((row, i) => (
          <tr key={props.rowKey(row, i)}>
            {props.columns.map((c) => <td class={c.class} data-label={c.label}><span class="cell">{c.cell(row)}</span></td>)}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
