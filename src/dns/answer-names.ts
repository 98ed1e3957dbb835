/**
 * The extra names of a cached answer (CNAME/DNAME targets and other owner names) as bytes after
 * its TTL offsets in the cache's arena: a count, then each name's length and its latin1 text, the
 * numbers 16-bit big-endian. Names are normalized presentation text, which escapes every byte
 * outside printable ASCII, so latin1 holds them; one that is not is refused rather than mangled.
 */

const NOT_LATIN1 = /[^\x00-\xff]/;

/** Bytes `names` take when written (0 for none), or -1 when they do not fit the format. */
export function encodedNamesLength(names: readonly string[]): number {
  if (names.length === 0) return 0;
  if (names.length > 0xffff) return -1;
  let length = 2;
  for (const name of names) {
    if (name.length > 0xffff || NOT_LATIN1.test(name)) return -1;
    length += 2 + name.length;
  }
  return length;
}

/** Write `names` at `at`; `encodedNamesLength` must have accepted them. */
export function writeNames(out: Uint8Array, at: number, names: readonly string[]): void {
  out[at] = names.length >>> 8;
  out[at + 1] = names.length & 0xff;
  at += 2;
  for (const name of names) {
    out[at] = name.length >>> 8;
    out[at + 1] = name.length & 0xff;
    at += 2;
    for (let i = 0; i < name.length; i++) out[at++] = name.charCodeAt(i);
  }
}

/** Bytes of the names written at `at`. */
export function storedNamesLength(bytes: Uint8Array, at: number): number {
  let pos = at + 2;
  for (let n = (bytes[at]! << 8) | bytes[at + 1]!; n > 0; n--) pos += 2 + ((bytes[pos]! << 8) | bytes[pos + 1]!);
  return pos - at;
}

/** The names written at `at`. */
export function readNames(text: Buffer, at: number): string[] {
  const names = new Array<string>((text[at]! << 8) | text[at + 1]!);
  at += 2;
  for (let i = 0; i < names.length; i++) {
    const length = (text[at]! << 8) | text[at + 1]!;
    names[i] = text.toString('latin1', at + 2, at + 2 + length);
    at += 2 + length;
  }
  return names;
}
