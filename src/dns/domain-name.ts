/**
 * Domain names on the wire (RFC 1035 §3.1, §4.1.4) and in presentation form. A name is held as text
 * without the trailing dot (the root is `''`); bytes that are not printable ASCII, and `.` or `\`
 * inside a label, are escaped as `\DDD`, `\.` and `\\` so that every wire name round-trips.
 */
import { ERROR_CODES, RambuError } from '../errors.js';
import { malformed, type WireReader } from './wire-reader.js';

export const MAX_NAME_LENGTH = 255;
export const MAX_LABEL_LENGTH = 63;

// Printable ASCII except `.` and `\`, which need escaping.
const NEEDS_ESCAPE = /[^\x21-\x2d\x2f-\x5b\x5d-\x7e]/;
const NON_ASCII = /[^\x00-\x7f]/;

function labelText(buf: Buffer, start: number, end: number): string {
  const raw = buf.toString('latin1', start, end);
  if (!NEEDS_ESCAPE.test(raw)) return raw;
  let out = '';
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x2e || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c < 0x21 || c > 0x7e) out += `\\${c.toString().padStart(3, '0')}`;
    else out += String.fromCharCode(c);
  }
  return out;
}

/**
 * Read a possibly compressed name at `r.pos` and move past it. Every pointer must point strictly
 * before the label sequence that contains it, which rejects forward pointers and loops and bounds
 * the work per name by the message length.
 */
export function readName(r: WireReader): string {
  const buf = r.buf;
  let pos = r.pos;
  let lowest = pos;
  let end = -1;
  let wireLength = 1;
  let out = '';
  let first = true;
  for (;;) {
    if (pos >= buf.length) throw malformed('name runs past the end', pos);
    const len = buf[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw malformed('compression pointer runs past the end', pos);
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= lowest) throw malformed(`compression pointer to ${target} is not backward`, pos);
      if (end < 0) end = pos + 2;
      lowest = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw malformed(`label type 0x${kind.toString(16)} is not supported`, pos);
    wireLength += len + 1;
    if (wireLength > MAX_NAME_LENGTH) throw malformed(`name is longer than ${MAX_NAME_LENGTH} bytes`, pos);
    if (pos + 1 + len > buf.length) throw malformed('label runs past the end', pos);
    const label = labelText(buf, pos + 1, pos + 1 + len);
    out = first ? label : `${out}.${label}`;
    first = false;
    pos += 1 + len;
  }
  r.pos = end;
  return out;
}

function encodeError(name: string, detail: string): RambuError {
  return new RambuError(ERROR_CODES.DNS_ENCODE, `cannot encode name "${name}": ${detail}`);
}

/**
 * Split a presentation name into raw labels (latin1 strings, escapes resolved). A trailing dot is
 * allowed; `''` and `'.'` are the root. Throws DNS_ENCODE on empty or oversized labels.
 */
export function nameLabels(name: string): string[] {
  if (name === '' || name === '.') return [];
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  let labels: string[];
  if (!text.includes('\\')) {
    labels = text.split('.');
  } else {
    labels = [];
    let cur = '';
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '.') { labels.push(cur); cur = ''; continue; }
      if (ch !== '\\') { cur += ch; continue; }
      const next = text[i + 1];
      if (next === undefined) throw encodeError(name, 'dangling escape');
      if (/[0-9]/.test(next)) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(digits) || Number(digits) > 255) throw encodeError(name, `bad escape \\${digits}`);
        cur += String.fromCharCode(Number(digits));
        i += 3;
      } else {
        cur += next;
        i += 1;
      }
    }
    labels.push(cur);
  }
  let wireLength = 1;
  for (const label of labels) {
    if (label.length === 0) throw encodeError(name, 'empty label');
    if (label.length > MAX_LABEL_LENGTH) throw encodeError(name, `label longer than ${MAX_LABEL_LENGTH} bytes`);
    if (NON_ASCII.test(label) && /[^\x00-\xff]/.test(label)) throw encodeError(name, 'characters beyond one byte must be escaped');
    wireLength += label.length + 1;
  }
  if (wireLength > MAX_NAME_LENGTH) throw encodeError(name, `longer than ${MAX_NAME_LENGTH} bytes`);
  return labels;
}

/** Lowercase ASCII letters only: DNS names compare case-insensitively in ASCII (RFC 4343). */
export function asciiLower(s: string): string {
  if (!NON_ASCII.test(s)) return s.toLowerCase();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 32) : s[i]!;
  }
  return out;
}

/** The canonical form names are compared and keyed by: lowercase, no trailing dot. */
export function normalizeName(name: string): string {
  const lower = asciiLower(name);
  return lower.endsWith('.') && !lower.endsWith('\\.') ? lower.slice(0, -1) : lower;
}

/** Whether `name` is `zone` or below it (both normalized). */
export function isSubdomain(name: string, zone: string): boolean {
  if (zone === '') return true;
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === '.');
}
