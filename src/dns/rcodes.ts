/** Header codes: flags (RFC 1035 §4.1.1, RFC 4035 §3.2), opcodes and response codes (RFC 6895). */

/** Bits of the 16-bit flags word of the header. The low 4 bits are the rcode, bits 11-14 the opcode. */
export const FLAG = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const;

export const OPCODE = {
  QUERY: 0,
  IQUERY: 1,
  STATUS: 2,
  NOTIFY: 4,
  UPDATE: 5,
} as const;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (needs an OPT record): the EDNS version is not supported. */
  BADVERS: 16,
} as const;

const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));

/** The mnemonic of an rcode, or `RCODE<n>`. */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

/** The opcode in a flags word. */
export function opcodeOf(flags: number): number {
  return (flags >>> 11) & 0xf;
}

/** The (4-bit header) rcode in a flags word. */
export function rcodeOf(flags: number): number {
  return flags & 0xf;
}
