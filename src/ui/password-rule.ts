/**
 * The server's rule for a new password (`MIN_PASSWORD_LENGTH` and `MAX_PASSWORD_LENGTH` in
 * src/store/password.ts): 8 to 1024 characters. Its JSON schema counts code points, not UTF-16 units,
 * so a password of four emoji is four characters there and here, though `String.length` says eight.
 */
import type { MessageKey } from './i18n.js';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

/** What is wrong with `password` by the server's rule, as a message key, or null when it passes. */
export function passwordProblem(password: string): MessageKey | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return 'users.password.help';
  if (length > MAX_PASSWORD_LENGTH) return 'users.password.tooLong';
  return null;
}
