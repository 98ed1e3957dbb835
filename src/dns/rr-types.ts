/**
 * Resource record types and classes (RFC 1035 §3.2, RFC 3596, RFC 4034, RFC 6891, RFC 9460),
 * as numbers on the wire and as the mnemonics logs and tests use.
 */
export const RR_TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  SVCB: 64,
  HTTPS: 65,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
  CAA: 257,
} as const;

export type RrTypeName = keyof typeof RR_TYPE;

export const RR_CLASS = {
  IN: 1,
  CH: 3,
  HS: 4,
  NONE: 254,
  ANY: 255,
} as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(RR_TYPE).map(([k, v]) => [v, k]));

/** The mnemonic of a record type, or `TYPE<n>` (RFC 3597) for one without a name here. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** The number of a type mnemonic or `TYPE<n>`, or undefined when it is neither. */
export function typeFromName(name: string): number | undefined {
  const upper = name.toUpperCase();
  const known = (RR_TYPE as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n <= 0xffff ? n : undefined;
}
