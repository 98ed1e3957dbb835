/** A line diff (longest common subsequence) for the audit log's before/after view. */

export type DiffLine = { kind: 'same' | 'del' | 'add'; text: string };

/** Past this many lines on both sides the table would be large; fall back to all-removed/all-added. */
const MAX_CELLS = 4_000_000;

export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  if (n * m > MAX_CELLS) {
    return [...before.map((text) => ({ kind: 'del' as const, text })), ...after.map((text) => ({ kind: 'add' as const, text }))];
  }
  // lcs[i][j] = length of the LCS of before[i..] and after[j..], in one flat array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = before[i] === after[j]
        ? (lcs[(i + 1) * width + j + 1] ?? 0) + 1
        : Math.max(lcs[(i + 1) * width + j] ?? 0, lcs[i * width + j + 1] ?? 0);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      out.push({ kind: 'same', text: before[i] ?? '' });
      i++;
      j++;
    } else if ((lcs[(i + 1) * width + j] ?? 0) >= (lcs[i * width + j + 1] ?? 0)) {
      out.push({ kind: 'del', text: before[i++] ?? '' });
    } else {
      out.push({ kind: 'add', text: after[j++] ?? '' });
    }
  }
  while (i < n) out.push({ kind: 'del', text: before[i++] ?? '' });
  while (j < m) out.push({ kind: 'add', text: after[j++] ?? '' });
  return out;
}

/**
 * Text lines of an audit value: strings as they are (policy YAML); a record as one `key: value` line per
 * field, so a diff points at the fields that changed; anything else as indented JSON.
 */
export function valueLines(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return value.replace(/\n$/, '').split('\n');
  if (typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return JSON.stringify(value, null, 2).split('\n');
}

/** Unchanged runs longer than 2 * context + 1 are folded to a count, like a unified diff. */
export type Hunk = DiffLine | { kind: 'fold'; count: number };

export function foldContext(lines: readonly DiffLine[], context = 3): Hunk[] {
  const out: Hunk[] = [];
  let run: DiffLine[] = [];
  const flush = (atStart: boolean, atEnd: boolean) => {
    const keepHead = atStart ? 0 : context;
    const keepTail = atEnd ? 0 : context;
    if (run.length > keepHead + keepTail + 1) {
      out.push(...run.slice(0, keepHead), { kind: 'fold', count: run.length - keepHead - keepTail }, ...run.slice(run.length - keepTail));
    } else {
      out.push(...run);
    }
    run = [];
  };
  let seenChange = false;
  for (const line of lines) {
    if (line.kind === 'same') {
      run.push(line);
    } else {
      flush(!seenChange, false);
      seenChange = true;
      out.push(line);
    }
  }
  if (seenChange) flush(false, true);
  else out.push(...run);
  return out;
}
