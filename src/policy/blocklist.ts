/**
 * Blocklist files: one domain a line, hosts-file lines (`0.0.0.0 ads.example`), or adblock-style
 * `||ads.example^` lines; `#` and `!` comments and blank lines are ignored. Exception lines
 * (`@@||cdn.example^`) go to a list of their own, which lifts this list's block for those names
 * (see list-exceptions.ts). Parsed straight from the
 * file's bytes into a {@link DomainIndex}, without a string per line, so a million lines load in a
 * fraction of a second.
 */
import type { DomainIndex } from './domain-index.js';
import { normalizeDomain } from './domain-name.js';

export interface BlocklistStats {
  /** Domains added to the list. */
  added: number;
  /** Entries that were not domains (counted, not fatal): bad syntax, options. */
  skipped: number;
  /** Exception lines (`@@||name^`) read into the exception list. */
  exceptions: number;
  /** 1-based line numbers of the first few skipped entries, for messages. */
  skippedLines: number[];
}

const HOSTS_IGNORED = new Set(['localhost', 'localhost.localdomain', 'local', 'broadcasthost', '0.0.0.0', 'ip6-localhost', 'ip6-loopback', 'ip6-localnet', 'ip6-mcastprefix', 'ip6-allnodes', 'ip6-allrouters', 'ip6-allhosts']);

function isSpace(c: number): boolean { return c === 32 || c === 9 || c === 13; }

/** Whether bytes[s, e) is a syntactically valid ASCII domain (labels 1..63, total <= 253). */
function validDomain(b: Uint8Array, s: number, e: number): boolean {
  if (e - s < 1 || e - s > 253) return false;
  let label = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 46) {
      if (label === 0) return false;
      label = 0;
      continue;
    }
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95;
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

function looksLikeAddress(b: Uint8Array, s: number, e: number): boolean {
  let colon = false, digitsAndDots = true;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 58) colon = true;
    else if (!((c >= 48 && c <= 57) || c === 46)) digitsAndDots = false;
  }
  return colon || digitsAndDots;
}

/**
 * Parse `bytes` and add every domain to list `listId` of `index`, and every exception to list
 * `exceptionId` (without one, exception lines are skipped and counted).
 */
export function loadBlocklist(bytes: Uint8Array, index: DomainIndex, listId: number, exceptionId?: number): BlocklistStats {
  const stats: BlocklistStats = { added: 0, skipped: 0, skippedLines: [], exceptions: 0 };
  const n = bytes.length;
  let lines = 0;
  for (let i = 0; i < n; i++) if (bytes[i] === 10) lines++;
  index.reserve(lines + 1);
  let line = 0;
  let pos = 0;
  const skip = (): void => {
    stats.skipped++;
    if (stats.skippedLines.length < 5) stats.skippedLines.push(line);
  };
  let target = listId;
  const addToken = (s: number, e: number): void => {
    if (e > s && bytes[e - 1] === 46) e--;
    if (bytes[s] === 42 && bytes[s + 1] === 46) s += 2; // `*.example.com`: the suffix covers it
    if (validDomain(bytes, s, e)) {
      if (index.addBytes(bytes, s, e, target)) { if (target === listId) stats.added++; else stats.exceptions++; }
      return;
    }
    // Internationalised names in UTF-8: the slow path through punycode.
    let ascii = true;
    for (let i = s; i < e; i++) if (bytes[i]! > 127) { ascii = false; break; }
    const name = ascii ? null : normalizeDomain(Buffer.from(bytes.buffer, bytes.byteOffset + s, e - s).toString('utf8'));
    if (name !== null) {
      index.add(name, target);
      if (target === listId) stats.added++; else stats.exceptions++;
    } else skip();
  };
  while (pos < n) {
    line++;
    let end = pos;
    while (end < n && bytes[end] !== 10) end++;
    let s = pos;
    pos = end + 1;
    while (s < end && isSpace(bytes[s]!)) s++;
    // Strip a trailing comment and trailing space.
    let e = s;
    while (e < end && bytes[e] !== 35) e++;
    while (e > s && isSpace(bytes[e - 1]!)) e--;
    if (e === s) continue;
    const first = bytes[s]!;
    if (first === 33 || first === 91) continue; // `!` adblock comment, `[Adblock Plus 2.0]` header
    // `@@||domain^`: an exception; other `@@` forms are not understood.
    const exception = first === 64 && bytes[s + 1] === 64 && bytes[s + 2] === 124 && bytes[s + 3] === 124 && exceptionId !== undefined;
    if (first === 64 && !exception) { skip(); continue; }
    if (exception) s += 2;
    target = exception ? exceptionId! : listId;
    if (bytes[s] === 124 && bytes[s + 1] === 124) {
      // `||domain^` with at most the `$important` option.
      let t = s + 2;
      while (t < e && bytes[t] !== 94) t++;
      const rest = Buffer.from(bytes.buffer, bytes.byteOffset + t, e - t).toString('latin1');
      if (t === e || (rest !== '^' && rest !== '^$important')) { skip(); continue; }
      addToken(s + 2, t);
      continue;
    }
    // First token; a hosts line starts with an address and lists one or more names.
    let t = s;
    while (t < e && !isSpace(bytes[t]!)) t++;
    if (t < e && looksLikeAddress(bytes, s, t)) {
      let u = t;
      while (u < e) {
        while (u < e && isSpace(bytes[u]!)) u++;
        const ts = u;
        while (u < e && !isSpace(bytes[u]!)) u++;
        if (u === ts) break;
        const name = Buffer.from(bytes.buffer, bytes.byteOffset + ts, u - ts).toString('latin1').toLowerCase();
        if (!HOSTS_IGNORED.has(name)) addToken(ts, u);
      }
      continue;
    }
    if (t !== e) { skip(); continue; }
    addToken(s, e);
  }
  return stats;
}
