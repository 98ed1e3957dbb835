/**
 * Map key paths back to places in the YAML source, so every problem names a line and a column.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue } from '../errors.js';

/**
 * The node at `path` (or, when the path leads to a missing key, its nearest existing parent), and
 * for a key path whose last part names a map key, the key node itself.
 */
function nodeAt(doc: Document, path: readonly (string | number)[]): Node | null {
  let node: unknown = doc.contents;
  let found: Node | null = (doc.contents as Node | null) ?? null;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
      if (pair === undefined) return found;
      // Point at the key when the value is absent or the key itself is the problem.
      node = pair.value;
      found = (isScalar(pair.value) || isMap(pair.value) || isSeq(pair.value) ? pair.value : pair.key) as Node;
      if (pair.value === null) found = pair.key as Node;
    } else if (isSeq(node)) {
      const item = node.items[Number(part)];
      if (item === undefined) return found;
      node = item;
      found = item as Node;
    } else {
      return found;
    }
  }
  return found;
}

/** The node of the key named by the last part of `path`, when it is a map key. */
function keyAt(doc: Document, path: readonly (string | number)[]): Node | null {
  if (path.length === 0) return null;
  const parent = nodeAt(doc, path.slice(0, -1));
  if (!isMap(parent)) return null;
  const last = String(path[path.length - 1]);
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === last);
  return (pair?.key as Node | undefined) ?? null;
}

/** Fill in `file`, `line` and `column` of each issue from the document. */
export function locateIssues(doc: Document, lines: LineCounter, file: string, issues: readonly ConfigIssue[], options: { keyFor?: (issue: ConfigIssue) => boolean } = {}): ConfigIssue[] {
  return issues.map((issue) => {
    const node = (options.keyFor?.(issue) ? keyAt(doc, issue.path) : null) ?? nodeAt(doc, issue.path);
    const offset = node?.range?.[0];
    if (offset === undefined) return { ...issue, file };
    const pos = lines.linePos(offset);
    return { ...issue, file, line: pos.line, column: pos.col };
  });
}

/** {@link locateIssues} over a YAML text, for checks made outside the loader (the console's save checks). */
export function locateInText(text: string, file: string, issues: readonly ConfigIssue[]): ConfigIssue[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  return locateIssues(doc, lines, file, issues, { keyFor: () => true });
}
