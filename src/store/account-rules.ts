/**
 * The rules for console accounts, one definition for the API's schemas, `rambu user` and the
 * browser console (which bundles this file, so it imports nothing).
 */

/**
 * A console password's length, in characters (code points, as the API's JSON schema counts them:
 * one emoji is one).
 */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * A console username: 1 to 64 of lowercase letters, digits, dot, underscore and hyphen, starting with
 * a letter or a digit (so never `.` or `..`, which URL paths would resolve away). The hyphen
 * is escaped so that the same text is valid as an HTML `pattern`, which browsers compile with the
 * `v` flag; the attribute is anchored by the browser.
 */
export const USERNAME_CHARS = '[a-z0-9][a-z0-9._\\-]{0,63}';
/** {@link USERNAME_CHARS} anchored, for the API's JSON schema and `rambu user`. */
export const USERNAME_PATTERN = `^${USERNAME_CHARS}$`;
