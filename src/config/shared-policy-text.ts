/**
 * A policy shared by several gateways: one YAML document holds the policy (timezone, schedules,
 * groups, services, rules, ...) for all of them, and each gateway's own file keeps what is local to it
 * (listen addresses, upstreams, the store, the log level). The gateway's configuration is the shared
 * document's policy keys plus its file's local keys.
 */
import { dirname } from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import type { LoadedConfig } from './load.js';
import { parseConfigText } from './load.js';

/** Top-level keys that stay with each gateway when the policy is shared. */
export const LOCAL_KEYS = ['dns', 'web', 'storage', 'log', 'enforce'] as const;

/**
 * `text` with only the top-level keys `keep` says yes to; '' when none is left. Cuts the other keys'
 * lines out of the text rather than printing the document again, so what is kept stays byte for byte
 * as the admin wrote it (comments, quoting, flow lists).
 */
function filterTopLevel(text: string, keep: (key: string) => boolean): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw doc.errors[0];
  const map = doc.contents;
  if (!isMap(map)) return '';
  const pairs = map.items.map((p) => ({ key: isScalar(p.key) ? String(p.key.value) : String(p.key), keyRange: (p.key as { range?: number[] } | null)?.range, valueRange: (p.value as { range?: number[] } | null)?.range }));
  if (pairs.every((p) => keep(p.key))) return text;
  if (pairs.every((p) => !keep(p.key))) return '';
  if (map.flow === true || pairs.some((p) => p.keyRange === undefined)) {
    for (const p of pairs) if (!keep(p.key)) doc.delete(p.key);
    return doc.toString();
  }
  let out = '';
  let from = 0;
  for (const p of pairs) {
    if (keep(p.key)) continue;
    const start = text.lastIndexOf('\n', (p.keyRange?.[0] ?? 0) - 1) + 1;
    const valueEnd = p.valueRange?.[1] ?? p.keyRange?.[1] ?? start;
    const newline = text.indexOf('\n', Math.max(valueEnd - 1, start));
    const end = newline < 0 ? text.length : newline + 1;
    out += text.slice(from, start);
    from = Math.max(from, end);
  }
  return out + text.slice(from);
}

const isLocal = (key: string): boolean => (LOCAL_KEYS as readonly string[]).includes(key);

/** The shared part of a config text: every top-level key except the local ones. */
export function sharedPart(text: string): string {
  return filterTopLevel(text, (k) => !isLocal(k));
}

/**
 * The configuration of a gateway whose file is `local` (already loaded, so its own problems were
 * reported with its lines) under the shared document `sharedText`: the shared policy keys, then the
 * file's local keys. Throws ConfigError, naming `label` for problems of the shared document.
 */
export function composeShared(local: LoadedConfig, sharedText: string, label: string): LoadedConfig {
  // Checked alone first, so that its own problems carry the document's line numbers.
  parseConfigText(sharedText, label, { baseDir: dirname(local.file) });
  const policy = sharedPart(sharedText);
  const own = filterTopLevel(local.text, isLocal);
  const text = `${policy.trimEnd()}${policy === '' ? '' : '\n'}${own}`;
  return parseConfigText(text, local.file, { baseDir: dirname(local.file) });
}
