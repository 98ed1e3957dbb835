/**
 * The RouterOS API password, read from a file of its own (`enforce.routeros.passwordFile`) so that it
 * is never written in the policy file, which is shared, shown in the console and stored. Errors name
 * the file, never its content.
 */
import { readNamedFileSync } from '../../config/index.js';
import { ERROR_CODES, RambuError } from '../../errors.js';

/** Bound of the password file: a password is a line, not a document. */
const MAX_PASSWORD_FILE = 4096;

/** The password in `path`: its first line, without the line end; throws RambuError CONFIG_INVALID. */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = readNamedFileSync(path, MAX_PASSWORD_FILE).toString('utf8');
  } catch (err) {
    throw new RambuError(ERROR_CODES.CONFIG_INVALID, `cannot read the RouterOS password file "${path}": ${(err as Error).message}`);
  }
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line === '') throw new RambuError(ERROR_CODES.CONFIG_INVALID, `the RouterOS password file "${path}" is empty: write the password on its first line`);
  return line;
}
