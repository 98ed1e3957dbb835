/**
 * Domain names as the policy compares them: lowercase ASCII without a trailing dot, internationalised
 * names in punycode (RFC 3492 via the WHATWG URL rules), labels of 1..63 characters.
 */
import { domainToASCII } from 'node:url';

const LABEL = /^(?!-)[a-z0-9_-]{1,63}$/;

/** Normalise a domain written by a user; null when it is not a valid domain name. */
export function normalizeDomain(text: string): string | null {
  let name = text.trim();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '' || name.length > 253 * 4) return null;
  name = asciiName(name.toLowerCase());
  if (name === '' || name.length > 253) return null;
  for (const label of name.split('.')) if (!LABEL.test(label)) return null;
  return name;
}

/** The ASCII (punycode) form of a queried name; names already ASCII are returned as they are. */
export function asciiName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) > 127) return domainToASCII(name) || name;
  }
  return name;
}
