/**
 * The server's rule for a new password (src/store/account-rules.ts, the same constants): 8 to 1024
 * characters. Its JSON schema counts code points, not UTF-16 units, so a password of four emoji is
 * four characters there and here, though `String.length` says eight.
 */
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../store/account-rules.js';
import type { MessageKey } from './i18n.js';

export { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH };

/** What is wrong with `password` by the server's rule, as a message key, or null when it passes. */
export function passwordProblem(password: string): MessageKey | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return 'users.password.help';
  if (length > MAX_PASSWORD_LENGTH) return 'users.password.tooLong';
  return null;
}
